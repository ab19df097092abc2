"""An on_outcome hook named by dotted path in settings.PASSGATE."""

from typing import List

import passgate

SEEN: List[str] = []


def record(outcome: passgate.Outcome) -> None:
    SEEN.append(outcome.code)
