"""The PHP-FPM rows of `make bench`: `wrk` → nginx → a PHP-FPM pool whose
page validates one token per request, passgate (bench/fpm/passgate.php) next
to curl per call (bench/fpm/curl.php), with the upstream's new connections
counted. Across requests is the point: a PHP object dies with its request,
what the extension keeps per worker does not.

The front nginx is a second nginx, not a server of the upstream's: stub_status
counts every server of one nginx, and only the pages' connections to the
upstream are to be counted.
"""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from upstream import free_port, make_temp_dirs, temp_paths

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = ROOT / "bench" / "fpm"
EXTENSION = ROOT / "target" / "php" / "passgate.so"
WORKERS = 4
WRK_THREADS, WRK_CONNECTIONS = 2, 8  # 8 connections keep all 4 workers busy

# The Debian php.ini and conf.d apply (curl, opcache); the pool adds passgate.
FPM_CONF = """
[global]
pid = {dir}/fpm.pid
error_log = {dir}/fpm.log
daemonize = no

[bench]
user = root
group = root
listen = {dir}/fpm.sock
; the front nginx's workers run as nobody
listen.mode = 0666
pm = static
pm.max_children = {workers}
php_admin_value[extension] = {extension}
php_admin_value[curl.cainfo] = {ca}
env[BENCH_UPSTREAM] = {base}
env[BENCH_CA] = {ca}
env[BENCH_SECRET] = {secret}
"""

FRONT_CONF = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon on;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 100000000;
{temp_paths}
    server {{
        listen 127.0.0.1:{port};
        location = /ping {{ return 200 'pong'; }}
        location ~ ^/(passgate|curl)$ {{
            fastcgi_pass unix:{dir}/fpm.sock;
            fastcgi_param SCRIPT_FILENAME {pages}/$1.php;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param REQUEST_URI $request_uri;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param REMOTE_ADDR $remote_addr;
        }}
    }}
}}
"""

# A new token per request (a per-thread counter under a per-round prefix), so
# the replay guard never short-cuts a validation.
WRK_SCRIPT = """
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
end
function init(args)
    prefix = args[1]
    counter = 0
end
function request()
    counter = counter + 1
    return wrk.format("GET", wrk.path .. "?t=bench-" .. prefix .. "-" .. thread_id .. "-" .. counter
        .. "-0123456789abcdefghijklmnopqrstuvwxyz")
end
"""


class FpmFront:
    """A PHP-FPM pool and a plain-HTTP nginx in front of it; `url` is the front."""

    def __init__(self, base: str, ca: str, secret: str):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="passgate-bench-fpm-"))
        self.dir.chmod(0o755)  # nobody (the front's workers) must reach the socket
        make_temp_dirs(self.dir)
        self.port = free_port()
        self.fpm = None
        (self.dir / "fpm.conf").write_text(FPM_CONF.format(
            dir=self.dir, workers=WORKERS, extension=EXTENSION, ca=ca, base=base, secret=secret))
        front = FRONT_CONF.format(dir=self.dir, port=self.port, pages=PAGES, temp_paths=temp_paths(self.dir))
        (self.dir / "nginx.conf").write_text(front)
        (self.dir / "requests.lua").write_text(WRK_SCRIPT)
        try:
            # -R: allowed to run as root (the bench runs as whoever runs make).
            self.fpm = subprocess.Popen(["php-fpm8.2", "-R", "-F", "-y", str(self.dir / "fpm.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["nginx", "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "nginx-error.log")],
                           check=True)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self) -> None:
        """The front answers and all workers are forked (the socket alone is made before the fork)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.fpm.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.url + "/ping", timeout=1).close()
                if len(self.pool_pids()) == 1 + WORKERS:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"php-fpm or its front did not start:\n{self.log_tail()}")

    def log_tail(self) -> str:
        logs = [self.dir / "fpm.log", self.dir / "nginx-error.log"]
        return "\n".join(log.read_text()[-2000:] for log in logs if log.exists())

    def pool_pids(self) -> list:
        """The FPM master and its workers."""
        pids = [self.fpm.pid]
        for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
            try:
                # "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.fpm.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                pass
        return pids

    def cpu_seconds(self) -> float:
        """User + system CPU of the pool so far (all threads of each process)."""
        ticks = 0
        for pid in self.pool_pids():
            try:
                fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if (self.dir / "nginx.pid").exists():
            subprocess.run(["nginx", "-c", str(self.dir / "nginx.conf"), "-s", "quit"], check=False,
                           capture_output=True)
            deadline = time.monotonic() + 10
            while (self.dir / "nginx.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.fpm is not None and self.fpm.poll() is None:
            self.fpm.send_signal(signal.SIGQUIT)  # graceful: the master stops its workers
            try:
                self.fpm.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.fpm.kill()
                self.fpm.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "FpmFront":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wrk_round(front: FpmFront, page: str, prefix: str, seconds: int) -> tuple:
    """One wrk run against a page: (requests/s, requests); raises if any request did not pass."""
    out = subprocess.run(
        ["wrk", "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{seconds}s",
         "-s", str(front.dir / "requests.lua"), f"{front.url}/{page}", "--", prefix],
        check=True, capture_output=True, text=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if failed or socket_errors:
        sample = sample_answer(front, page, prefix)
        raise RuntimeError(f"not every validation passed ({(failed or socket_errors).group(0)}); "
                           f"one request now: {sample}\n{front.log_tail()}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return rate, requests


def sample_answer(front: FpmFront, page: str, prefix: str) -> str:
    """Status and body of one fresh request, to say why a row failed."""
    try:
        with urllib.request.urlopen(f"{front.url}/{page}?t=bench-{prefix}-sample-0123456789abcdefghij",
                                    timeout=10) as answer:
            return f"{answer.status} {answer.read()[:200]!r}"
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.read()[:200]!r}"
    except OSError as error:
        return repr(error)


def rows(upstream, secret: str, row_class, seconds: int, rounds: int) -> list:
    """`php-fpm passgate` and `php-fpm curl per call`, each the median of
    `rounds` wrk runs, from a cold pool: passgate's connections are the
    workers' first requests' (one per worker)."""
    made = []
    with FpmFront(upstream.base, upstream.ca, secret) as front:
        for page, name in (("passgate", "php-fpm passgate"), ("curl", "php-fpm curl per call")):
            try:
                before = upstream.accepts()
                rates, cpu_per_request = [], []
                for round_number in range(rounds):
                    cpu_before = front.cpu_seconds()
                    rate, requests = wrk_round(front, page, f"{page}-{round_number}", seconds)
                    cpu_per_request.append((front.cpu_seconds() - cpu_before) / requests)
                    rates.append(rate)
                connections = upstream.accepts() - before - 1  # minus the status request of `before`
            except (RuntimeError, subprocess.CalledProcessError) as error:
                print(f"bench: {name} failed: {error}", file=sys.stderr)
                continue
            # Like the wrk rows: one "call" per request, so seconds are 1/rate and CPU is per request.
            made.append(row_class(name, 1, [1 / rate for rate in rates], cpu_per_request, connections))
    return made
