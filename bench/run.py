"""`make bench` through the bindings (issue 16): one nginx upstream over TLS,
`wrk` as the limit, then passgate in each language next to the plain
patterns and the peers of that language, all pointed at the same upstream.
Prints a table of medians with ratios computed within this run, and the
targets each row is held to.

    python bench/run.py [--rounds N] [--calls N] [--only GROUP,...] [--json FILE]
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from upstream import Upstream  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "bench" / "clients"
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
WRK_BODY = f"secret={SECRET}&response=bench-wrk-token-0123456789abcdefghijklmnopqrstuvwxyz&remoteip=127.0.0.1"


class Row:
    def __init__(self, name: str, calls: int, seconds: list, cpu_s: list, connections=None):
        self.name = name
        self.calls = calls
        self.rate = statistics.median(calls / s for s in seconds)
        self.cpu_us = statistics.median(c * 1e6 / calls for c in cpu_s) if cpu_s else None
        self.connections = connections
        # wrk's one-connection rate measured just before this row's client
        # ran: the machine drifts over a run, so sequential rows are
        # compared with the wire limit of their own moment.
        self.wire_rate = None

    def as_dict(self) -> dict:
        return {"row": self.name, "rate": round(self.rate, 1),
                "cpu_us": None if self.cpu_us is None else round(self.cpu_us, 1),
                "connections": self.connections}


def wrk(upstream: Upstream, connections: int, seconds: int, rounds: int) -> Row:
    script = upstream.dir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.body = "{WRK_BODY}"\n')
    rates = []
    for _ in range(rounds):
        out = subprocess.run(
            ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s", "-s", str(script),
             upstream.base + "/recaptcha/api/siteverify"],
            check=True, capture_output=True, text=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("Requests/sec:"))
        rates.append(float(line.split()[1]))
    row = Row(f"wrk {connections} connection{'s' if connections > 1 else ''}", 1, [1 / r for r in rates], [])
    return row


def run_client(command: list, env: dict) -> list:
    """Run one client script; each JSON line it prints is a row."""
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        print(f"bench: {' '.join(map(str, command[:3]))} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            rows.append(Row(data["row"], data["calls"], data["seconds"], data["cpu_s"], data.get("connections")))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3000, help="validations per round and row")
    parser.add_argument("--wrk-seconds", type=int, default=3)
    parser.add_argument("--only", default="wrk,rust,python,node,ruby,php,fpm")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    only = set(args.only.split(","))
    python = str(ROOT / ".venv" / "bin" / "python")
    rows: list[Row] = []
    started = time.monotonic()
    with Upstream() as upstream:
        config = {"base": upstream.base, "ca": upstream.ca, "secret": SECRET, "calls": args.calls,
                  "rounds": args.rounds, "in_flight": [1, 8, 64], "status_url": upstream.status_url}
        config_json = json.dumps(config)
        # Every client trusts the throwaway CA the way its ecosystem is told to.
        tls_env = {name: upstream.ca for name in
                   ("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}

        def client(*command, env=None):
            wire = wrk(upstream, 1, args.wrk_seconds, 1).rate if "wrk" in only else None
            for row in run_client([*map(str, command)], {**tls_env, **(env or {})}):
                row.wire_rate = wire
                rows.append(row)
                print(f"  {row.name:<44} {row.rate:>10,.0f}/s", file=sys.stderr, flush=True)

        if "wrk" in only:
            for connections in (1, 64):
                rows.append(wrk(upstream, connections, args.wrk_seconds, min(args.rounds, 3)))
                print(f"  {rows[-1].name:<44} {rows[-1].rate:>10,.0f}/s", file=sys.stderr, flush=True)
        if "rust" in only:
            client("cargo", "bench", "-q", "-p", "passgate-cli", "--bench", "upstream", env={"BENCH_CONFIG": config_json})
        if "python" in only:
            for group in ("passgate", "plain", "peers"):
                client(python, CLIENTS / "python_bench.py", config_json, group)
        if "node" in only:
            for group in ("passgate", "plain", "peers"):
                client("node", CLIENTS / "node_bench.js", config_json, group)
        if "ruby" in only:
            gem_home = ROOT / "target" / "ruby-gems"
            peers_config = json.dumps({**config, "base_443": "https://127.0.0.1" if upstream.has_443 else None})
            for group in ("passgate", "plain", "peers"):
                client("ruby", CLIENTS / "ruby_bench.rb", peers_config, group, env={"GEM_HOME": str(gem_home)})
        if "php" in only:
            php = ["php", "-d", f"extension={ROOT / 'target' / 'php' / 'passgate.so'}", "-d", f"curl.cainfo={upstream.ca}",
                   "-d", f"openssl.cafile={upstream.ca}"]
            for group in ("passgate", "plain", "peers"):
                client(*php, CLIENTS / "php_bench.php", config_json, group)
        if "fpm" in only:
            import fpm

            for row in fpm.rows(upstream, SECRET, Row, args.wrk_seconds, min(args.rounds, 3)):
                rows.append(row)
                print(f"  {row.name:<44} {row.rate:>10,.0f}/s", file=sys.stderr, flush=True)
    report(rows, args, time.monotonic() - started)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps([row.as_dict() for row in rows], indent=1))
    return 0


def report(rows: list, args, elapsed: float) -> None:
    from targets import table

    print(table(rows))
    print(f"\nMedians of {args.rounds} rounds of {args.calls} validations per row; the wrk and php-fpm rows:"
          f" {min(args.rounds, 3)} rounds of {args.wrk_seconds} s. Took {elapsed:.0f} s.")


if __name__ == "__main__":
    if shutil.which("nginx") is None or shutil.which("wrk") is None:
        sys.exit("bench: nginx and wrk are needed (tools/setup.sh bench installs them)")
    sys.exit(main())
