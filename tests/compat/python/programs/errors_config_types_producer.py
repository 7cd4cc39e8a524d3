# A producer from a config with wrong types: a released-style program catches
# KafkaProducerError (klient raises earlier, at ProducerConfig(), a subclass of it).
# timeout: 90
import klient

from _compat import BOOTSTRAP, TOPIC, exc, obs

# (bootstrap_servers=None is left out: the released producer then waits forever in flush.)
for label, kw in [("acks float", {"bootstrap_servers": BOOTSTRAP, "acks": 1.5}),
                  ("retries list", {"bootstrap_servers": BOOTSTRAP, "retries": [3]}),
                  ("additional not a dict", {"bootstrap_servers": BOOTSTRAP, "additional_config": [("a", "b")]})]:
    try:
        p = klient.KafkaProducer(klient.ProducerConfig(**kw))
        p.produce(TOPIC, b"never", flush=True)
        obs(label, "no error")
    except klient.KafkaProducerError as e:
        exc(label, e)
    except Exception as e:  # noqa: BLE001 - an exception that escapes the family is the observation
        exc(label + " escaped", e)
