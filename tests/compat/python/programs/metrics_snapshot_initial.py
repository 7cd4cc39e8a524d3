# metrics.snapshot() starts with the released counters at 0; inc/get/snapshot.
# topics: 0
from klient import metrics
from klient.metrics import get, inc, snapshot

from _compat import call, obs

obs("initial", snapshot())
inc("producer.retry")
inc("producer.retry", 4)
inc("app.custom", 2)
obs("get", [get("producer.retry"), get("app.custom"), get("never.set")])
obs("after", snapshot())
s = snapshot()
s["producer.retry"] = 99
obs("snapshot is a copy", metrics.get("producer.retry"))
call("inc zero", inc, "app.zero", 0)
obs("zero listed", snapshot().get("app.zero"))
