"""The fast local upstream of `make bench`: nginx over TLS (a throwaway CA),
answering each provider's success body, so that the client is what is
measured. `accepts()` reads nginx's connection counter (stub_status), so each
row can say how many TCP connections it opened.
"""

import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.request

# The bodies a provider answers for a good token. `$time_iso8601` is the
# request's time: the token is always fresh.
SITEVERIFY_OK = '{"success":true,"challenge_ts":"$time_iso8601","hostname":"localhost"}'
CAPTCHALA_OK = '{"code":0,"msg":"ok","data":{"valid":true}}'

# Where an nginx run by the bench keeps its temporary files: a directory of
# the run's own (Debian's defaults are root-owned system paths).
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def temp_paths(directory) -> str:
    """The http-block lines placing nginx's temporary files in `directory`,
    whose sub-directories `make_temp_dirs` created."""
    return "\n".join(f"    {'client_body' if sub == 'body' else sub}_temp_path {directory}/{sub};"
                     for sub in TEMP_DIRS)


def make_temp_dirs(directory: pathlib.Path) -> None:
    for sub in TEMP_DIRS:
        (directory / sub).mkdir()


NGINX_CONF = """
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
daemon on;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_buffer_size 16k;
{temp_paths}
    server {{
        listen 127.0.0.1:{port} ssl;
        {listen_443}
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        ssl_session_cache shared:SSL:1m;
        default_type application/json;
        location = /v1/validate {{ return 200 '{captchala}'; }}
        location = /recaptcha/api/siteverify {{ return 200 '{siteverify}'; }}
        location = /siteverify {{ return 200 '{siteverify}'; }}
        location = /turnstile/v0/siteverify {{ return 200 '{siteverify}'; }}
    }}
    server {{
        listen 127.0.0.1:{status_port};
        location = /status {{ stub_status; }}
    }}
    {extra}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def make_ca(directory: pathlib.Path) -> None:
    """A CA and a server certificate for 127.0.0.1 and localhost."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=passgate bench CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")


class Upstream:
    """nginx on loopback: `base` is its https URL, `ca` the CA's PEM."""

    def __init__(self, workers: int = 1, extra: str = "", listen_443: bool = True):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="passgate-bench-"))
        make_temp_dirs(self.dir)
        make_ca(self.dir)
        self.port = free_port()
        self.status_port = free_port()
        # The recaptcha gem turns TLS on only for port 443 (its source:
        # `use_ssl = true if uri.port == 443`): serve there too when free.
        self.has_443 = listen_443 and port_free(443)
        conf = NGINX_CONF.format(
            workers=workers, dir=self.dir, port=self.port, status_port=self.status_port,
            listen_443="listen 127.0.0.1:443 ssl;" if self.has_443 else "",
            captchala=CAPTCHALA_OK, siteverify=SITEVERIFY_OK, extra=extra, temp_paths=temp_paths(self.dir))
        (self.dir / "nginx.conf").write_text(conf)
        subprocess.run(["nginx", "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")],
                       check=True)
        self._wait_ready()

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca(self) -> str:
        return str(self.dir / "ca.pem")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.accepts()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {(self.dir / 'error.log').read_text()}")

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.status_port}/status"

    def accepts(self) -> int:
        """Connections nginx accepted so far (the status server's own included)."""
        with urllib.request.urlopen(self.status_url, timeout=5) as answer:
            # "Active connections: 1\nserver accepts handled requests\n 10 10 20\n..."
            return int(answer.read().decode().splitlines()[2].split()[0])

    def stop(self) -> None:
        pid_file = self.dir / "nginx.pid"
        if pid_file.exists():
            subprocess.run(["nginx", "-c", str(self.dir / "nginx.conf"), "-s", "quit"], check=False,
                           capture_output=True)
            deadline = time.monotonic() + 10
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    def __enter__(self) -> "Upstream":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    with Upstream() as upstream:
        print(upstream.base, upstream.ca, upstream.accepts(), os.getpid())
