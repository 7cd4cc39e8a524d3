# metrics.inc with negative and large values, names of every shape; get of unknown names.
# topics: 0
from klient import metrics

from _compat import call, obs

call("inc negative", metrics.inc, "app.neg", -3)
call("inc large", metrics.inc, "app.big", 2**40)
call("inc again", metrics.inc, "app.big", 5)
call("dotted and spaced name", metrics.inc, "app weird/name.x", 1)
obs("values", [metrics.get("app.neg"), metrics.get("app.big"), metrics.get("app weird/name.x"), metrics.get("nope")])
obs("snapshot tail", {k: v for k, v in metrics.snapshot().items() if k.startswith("app")})
