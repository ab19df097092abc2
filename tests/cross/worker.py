"""Cross-language replay test, Python side: after "go" on stdin, validate each
token N times concurrently; print {token: {code: count}} as JSON."""

import json
import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import passgate

verifier = passgate.Verifier(app_key="test-app-key", app_secret="test-app-secret", environment="test",
                             api_base=os.environ["EMULATOR_URL"], replay_store=os.environ["REDIS_URL"])
tokens = os.environ["TOKENS"].split(",")
count = int(os.environ["PER_PROCESS"])
print("ready", flush=True)
sys.stdin.readline()
result = {}
with ThreadPoolExecutor(max_workers=count) as pool:
    for token in tokens:
        codes = list(pool.map(lambda _: verifier.validate(token).code, range(count)))
        result[token] = dict(Counter(codes))
print(json.dumps(result), flush=True)
