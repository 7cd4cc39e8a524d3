# README "Metrics (In-Process Counters)".
# topics: 0
import sys
from functools import partial

print = partial(print, file=sys.stderr)  # the README's prints; stdout carries observations
from klient.metrics import snapshot

from _compat import obs

print(snapshot())  # {'producer.tx.begin': 12, 'consumer.rebalance.assign': 3, ...}
obs("snapshot", snapshot())
