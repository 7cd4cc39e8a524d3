# A consumer from a config with wrong values: caught as KafkaConsumerError under both.
# timeout: 90
import klient

from _compat import BOOTSTRAP, RUN_ID, TOPIC, exc, obs

# (isolation_level="bogus" is left out: the released package aborts the process in
# confluent-kafka's Consumer_init; klient raises KafkaConsumerValueError, PY-A5.)
for label, kw in [("offset reset bogus", {"auto_offset_reset": "sideways"}),
                  ("session timeout not a number", {"session_timeout_ms": "abc"}),
                  ("auto commit bogus", {"enable_auto_commit": "maybe"})]:
    args = {"bootstrap_servers": BOOTSTRAP, "group_id": f"g-{RUN_ID}", **kw}
    try:
        c = klient.KafkaConsumer(klient.ConsumerConfig(**args))
        c.subscribe([TOPIC])
        obs(label, "no error")
        c.stop()
    except klient.KafkaConsumerError as e:
        exc(label, e)
    except Exception as e:  # noqa: BLE001
        exc(label + " escaped", e)
