"""Cross-language replay test, Python side. Validates a warm-up token, says
"ready <code>", then for each token read from stdin validates it N times at
once and prints {code: count} as one JSON line."""

import json
import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import passgate

verifier = passgate.Verifier(app_key="test-app-key", app_secret="test-app-secret", environment="test",
                             api_base=os.environ["EMULATOR_URL"], replay_store=os.environ["REDIS_URL"])
count = int(os.environ["PER_PROCESS"])
print("ready", verifier.validate("pt_cross_warmup_python").code, flush=True)
with ThreadPoolExecutor(max_workers=count) as pool:
    for line in sys.stdin:
        token = line.strip()
        codes = list(pool.map(lambda _: verifier.validate(token).code, range(count)))
        print(json.dumps(Counter(codes)), flush=True)
