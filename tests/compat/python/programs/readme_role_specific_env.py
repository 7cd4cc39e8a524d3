# README "Role-Specific Environment Names": resolve_env_config + explicit configs.
import json
import os
from pathlib import Path

from klient import resolve_env_config, KafkaProducer, ProducerConfig, KafkaConsumer, ConsumerConfig

from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs

kafka = Path(os.path.expanduser("~")) / ".kafka"
kafka.mkdir()
(kafka / "config.json").write_text(json.dumps({
    "default": {"bootstrap.servers": BOOTSTRAP, "client.id": "app-base"},
    "prod-producer": {"bootstrap.servers": BOOTSTRAP, "compression.type": "lz4", "linger.ms": 25},
    "prod-consumer": {"bootstrap.servers": BOOTSTRAP, "auto.offset.reset": "earliest", "fetch.max.bytes": 5242880},
}))

producer_raw = resolve_env_config('prod-producer', None)
consumer_raw = resolve_env_config('prod-consumer', None)
obs("producer_raw", producer_raw)
obs("consumer_raw", consumer_raw)

producer = KafkaProducer(ProducerConfig(
    bootstrap_servers=producer_raw['bootstrap.servers'],
    additional_config={k: v for k, v in producer_raw.items() if k != 'bootstrap.servers'}
))

consumer = KafkaConsumer(ConsumerConfig(
    bootstrap_servers=consumer_raw['bootstrap.servers'],
    group_id=f'analytics-group-{RUN_ID}',
    additional_config={k: v for k, v in consumer_raw.items() if k not in ('bootstrap.servers', 'group.id')}
))
consumer.subscribe([TOPIC])
producer.produce(TOPIC, b"role-specific", b"k")
producer.flush()
obs("consumed", [(m.key, m.value) for m in consumer.consume_messages(1, 20.0)])
obs("producer config", producer.config.to_confluent_config())
consumer.stop()
producer.close()
