"""A Python exactly-once relay process for tests/faults (relay_test.go kills it with SIGKILL).

Usage: py_relay_worker.py BOOTSTRAP SRC DST GROUP TXID BATCH
Relays SRC to DST with the transform value.upper(), printing every klient event (one
JSON object per line, e.g. relay_batch_committed) on stdout until SIGTERM.
"""

import logging
import signal
import sys

from klient import ConsumerConfig, ExactlyOnceRelay, KafkaConsumer, KafkaProducer, ProducerConfig


class _Stdout(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        sys.stdout.write(record.getMessage() + "\n")
        sys.stdout.flush()


def main() -> int:
    bootstrap, src, dst, group, txid, batch = sys.argv[1:7]
    log = logging.getLogger("klient")
    log.setLevel(logging.INFO)
    log.addHandler(_Stdout())
    consumer = KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                            additional_config={"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}))
    producer = KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, transactional_id=txid,
                                            additional_config={"transaction.timeout.ms": 10000}))

    def upper(msg):
        return msg.value.upper()

    relay = ExactlyOnceRelay(consumer, producer, transform=upper, batch_size=int(batch), max_batch_time=0.2, grace_period=2.0)
    signal.signal(signal.SIGTERM, lambda *_: relay.stop())
    relay.run(src, dst)
    producer.close()
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
