# reads_committed_only, filter_transactional_messages, get_transactional_messages,
# get_non_transactional_messages, group_messages_by_transaction: on consumed messages
# and on hand-built MessageResults.
from _compat import BOOTSTRAP, RUN_ID, TOPIC, obs
from klient.consumer import ConsumerConfig, KafkaConsumer, MessageResult
from klient.producer import KafkaProducer, ProducerConfig

p = KafkaProducer(ProducerConfig(bootstrap_servers=BOOTSTRAP))
for i in range(3):
    p.produce(TOPIC, key=f"k{i}".encode(), value=f"v{i}".encode())
p.flush()

c = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"g-{RUN_ID}"))
u = KafkaConsumer(ConsumerConfig(bootstrap_servers=BOOTSTRAP, group_id=f"u-{RUN_ID}", isolation_level="read_uncommitted"))
obs("reads_committed_only default", c.reads_committed_only)
obs("reads_committed_only uncommitted", u.reads_committed_only)
c.subscribe([TOPIC])
got = []
for _ in range(20):
    got += c.consume_messages(3 - len(got), 1.0)
    if len(got) == 3:
        break
obs("consumed transactional", [m.is_transactional for m in got])
obs("filter consumed", [m.offset for m in c.filter_transactional_messages(got)])
obs("group consumed", {k: [m.offset for m in v] for k, v in c.group_messages_by_transaction(got).items()})

made = [
    MessageResult(TOPIC, 0, 10, b"a", b"1", (1, 5)),
    MessageResult(TOPIC, 0, 11, b"b", b"2", (1, 6), {"h": b"x"}, True, "tx-1"),
    MessageResult(TOPIC, 0, 12, b"c", b"3", (1, 7), None, True, "tx-2"),
    MessageResult(TOPIC, 0, 13, b"d", b"4", (1, 8), {}, True, "tx-1"),
]
for cons, name in ((c, "committed"), (u, "uncommitted")):
    obs(f"filter {name}", [m.offset for m in cons.filter_transactional_messages(made)])
obs("transactional", [m.offset for m in c.get_transactional_messages(made)])
obs("non-transactional", [m.offset for m in c.get_non_transactional_messages(made)])
obs("grouped", {k: [m.offset for m in v] for k, v in c.group_messages_by_transaction(made).items()})
obs("empty", [c.get_transactional_messages([]), c.group_messages_by_transaction([])])
c.stop()
u.stop()
