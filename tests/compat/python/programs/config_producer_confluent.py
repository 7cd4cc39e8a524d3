# ProducerConfig: positional fields and to_confluent_config(), plain and transactional.
# topics: 0
from klient import ProducerConfig

from _compat import BOOTSTRAP, call, obs

obs("plain", ProducerConfig(BOOTSTRAP).to_confluent_config())
c = ProducerConfig(BOOTSTRAP, "1", 5, 1000, 7, "lz4", 2, False)
obs("positional", [c.acks, c.retries, c.batch_size, c.linger_ms, c.compression_type,
                   c.max_in_flight_requests_per_connection, c.enable_idempotence])
obs("positional dict", c.to_confluent_config())
tx = ProducerConfig(BOOTSTRAP, acks="1", retries=1, enable_idempotence=False, transactional_id="tx-1",
                    transaction_timeout_ms=12345, max_in_flight_requests_per_connection=1)
obs("transactional forces", tx.to_confluent_config())
obs("additional wins", ProducerConfig(BOOTSTRAP, additional_config={"acks": "0", "client.id": "x"}).to_confluent_config())
obs("equality", ProducerConfig(BOOTSTRAP) == ProducerConfig(BOOTSTRAP))
call("keyword-only fields", lambda: ProducerConfig(bootstrap_servers=BOOTSTRAP, linger_ms=5).linger_ms)
