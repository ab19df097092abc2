"""Python rows of `make bench`: passgate, the plain patterns and the peers,
each timed over `calls` validations per round. Prints one JSON line per row:
{"row", "seconds": [per round], "calls", "cpu_s": [per round]}.

Usage: python_bench.py CONFIG_JSON GROUP   (GROUP: passgate | plain | peers)
"""

import json
import resource
import sys
import threading
import time
import urllib.request

CONFIG = json.loads(sys.argv[1])
BASE, CA, SECRET = CONFIG["base"], CONFIG["ca"], CONFIG["secret"]
CALLS, ROUNDS = CONFIG["calls"], CONFIG["rounds"]
URL = BASE + "/recaptcha/api/siteverify"
BODY = {"secret": SECRET, "response": "", "remoteip": "127.0.0.1"}


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def accepts() -> int:
    """Connections the upstream accepted so far (nginx stub_status)."""
    with urllib.request.urlopen(CONFIG["status_url"], timeout=5) as answer:
        return int(answer.read().decode().splitlines()[2].split()[0])


def token(row: str, round_no: int, i: int) -> str:
    # Unique per call: the replay guard must not short-cut anything.
    tag = row.replace(" ", "-")
    return f"bench-{tag}-{round_no}-{i:08d}-0123456789abcdefghijklmnopqrstuvwxyz"


def timed(name: str, in_flight: int, work, calls: int = CALLS) -> None:
    """Run `work(token)` `calls` times over `in_flight` threads, ROUNDS times.
    The threads live for every round, as a server's worker threads do."""
    per_thread = calls // in_flight
    start = threading.Barrier(in_flight + 1)
    done = threading.Barrier(in_flight + 1)
    failures = []

    def loop(worker: int) -> None:
        for round_no in range(ROUNDS):
            start.wait()
            for i in range(per_thread):
                if not work(token(name, round_no, worker * per_thread + i)):
                    failures.append(i)
            done.wait()

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(in_flight)]
    for thread in threads:
        thread.start()
    seconds, cpu_s = [], []
    accepted_before = accepts()
    for _ in range(ROUNDS):
        cpu_before = cpu()
        started = time.perf_counter()
        start.wait()
        done.wait()
        seconds.append(time.perf_counter() - started)
        cpu_s.append(cpu() - cpu_before)
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{name}: {len(failures)} validations did not pass")
    # Minus the status request of the second reading.
    connections = accepts() - accepted_before - 1
    print(json.dumps({"row": name, "calls": per_thread * in_flight, "seconds": seconds, "cpu_s": cpu_s,
                      "connections": connections}), flush=True)


def passgate_rows() -> None:
    import passgate

    verifier = passgate.Verifier(provider="recaptcha", secret_key=SECRET, api_base=BASE, ca_file=CA,
                                 environment="production")
    validate = verifier.validate

    def work(tok: str) -> bool:
        return validate(tok, client_ip="127.0.0.1").ok

    work(token("warm-up", 0, 0))  # connect once, as a long-lived worker would have
    for in_flight in CONFIG["in_flight"]:
        timed(f"python passgate {in_flight}", in_flight, work)


def plain_rows() -> None:
    import requests

    session = requests.Session()
    session.verify = CA

    def with_session(tok: str) -> bool:
        return session.post(URL, data={**BODY, "response": tok}, timeout=5).json()["success"]

    def per_call(tok: str) -> bool:
        return requests.post(URL, data={**BODY, "response": tok}, verify=CA, timeout=5).json()["success"]

    with_session(token("warm-up", 0, 1))
    timed("python requests.Session 1", 1, with_session)
    timed("python requests.post per call 1", 1, per_call, calls=max(CALLS // 10, 50))


def peer_rows() -> None:
    # Both read their settings at import or call time from django.conf.
    import os

    os.environ["SSL_CERT_FILE"] = CA
    from django.conf import settings

    host = BASE.removeprefix("https://")
    settings.configure(RECAPTCHA_DOMAIN=host, RECAPTCHA_VERIFY_REQUEST_TIMEOUT=5,
                       HCAPTCHA_VERIFY_URL=BASE + "/siteverify", HCAPTCHA_SECRET=SECRET, HCAPTCHA_TIMEOUT=5,
                       USE_I18N=False)
    import django

    django.setup()
    from django import forms
    from django_recaptcha.client import submit
    from hcaptcha.fields import hCaptchaField

    def recaptcha(tok: str) -> bool:
        return bool(submit(tok, SECRET, "127.0.0.1").is_valid)

    field = hCaptchaField()

    def hcaptcha(tok: str) -> bool:
        try:
            field.validate(tok)
            return True
        except forms.ValidationError:
            return False

    calls = max(CALLS // 10, 50)
    timed("python peer django-recaptcha 1", 1, recaptcha, calls=calls)
    timed("python peer django-hcaptcha 1", 1, hcaptcha, calls=calls)


if __name__ == "__main__":
    {"passgate": passgate_rows, "plain": plain_rows, "peers": peer_rows}[sys.argv[2]]()
