# The released parameters (names, kinds, order, defaults) of every public method of
# KafkaProducer, KafkaConsumer and ExactlyOnceRelay; the released properties; the fields
# of the result dataclasses. klient may add optional parameters and fields after them.
# topics: 0
import dataclasses
import inspect

from klient import producer, consumer, relay

from _compat import obs

RELEASED = {
    "KafkaProducer.__init__": 3, "KafkaProducer.aabort_transaction": 1, "KafkaProducer.abegin_transaction": 1,
    "KafkaProducer.abort_transaction": 1, "KafkaProducer.acommit_transaction": 1, "KafkaProducer.aflush": 2,
    "KafkaProducer.aproduce": 8, "KafkaProducer.aproduce_batch": 3, "KafkaProducer.aproduce_with_retry": 5,
    "KafkaProducer.atransaction": 1, "KafkaProducer.begin_transaction": 1, "KafkaProducer.close": 1,
    "KafkaProducer.commit_transaction": 1, "KafkaProducer.flush": 2, "KafkaProducer.from_env_config": 5,
    "KafkaProducer.poll": 2, "KafkaProducer.produce": 8, "KafkaProducer.produce_batch": 3,
    "KafkaProducer.produce_with_retry": 5, "KafkaProducer.transaction": 1,
    "KafkaConsumer.__init__": 6, "KafkaConsumer.aconsume_messages": 3, "KafkaConsumer.amessage_stream": 2,
    "KafkaConsumer.apoll_message": 2, "KafkaConsumer.astart_consuming": 3, "KafkaConsumer.commit": 1,
    "KafkaConsumer.consume_messages": 3, "KafkaConsumer.filter_transactional_messages": 2,
    "KafkaConsumer.from_env_config": 6, "KafkaConsumer.get_non_transactional_messages": 2,
    "KafkaConsumer.get_transactional_messages": 2, "KafkaConsumer.group_messages_by_transaction": 2,
    "KafkaConsumer.message_stream": 2, "KafkaConsumer.poll_message": 2, "KafkaConsumer.seek_to_offset": 4,
    "KafkaConsumer.start_consuming": 3, "KafkaConsumer.stop": 1, "KafkaConsumer.subscribe": 2,
    "ExactlyOnceRelay.__init__": 6, "ExactlyOnceRelay.arun": 5, "ExactlyOnceRelay.run": 4,
    "ExactlyOnceRelay.stop": 1,
}
CLASSES = {"KafkaProducer": producer.KafkaProducer, "KafkaConsumer": consumer.KafkaConsumer,
           "ExactlyOnceRelay": relay.ExactlyOnceRelay}


def picture(p: inspect.Parameter):
    # A parameter klient makes optional (default None) pictures like a required one.
    d = None if p.default is inspect.Parameter.empty or p.default is None else repr(p.default)
    return [p.name, p.kind.name, d]


for label, n in RELEASED.items():
    cls_name, meth = label.split(".")
    f = getattr(CLASSES[cls_name], meth, None)
    if f is None:
        obs(label, "missing")
        continue
    params = list(inspect.signature(getattr(f, "__func__", f)).parameters.values())
    obs(label, [picture(p) for p in params[:n]])
    obs(label + " extra required", [p.name for p in params[n:] if p.default is inspect.Parameter.empty
                                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)])
    obs(label + " coroutine", inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f))

for cls, names in [(producer.KafkaProducer, ["in_transaction", "supports_transactions"]),
                   (consumer.KafkaConsumer, ["reads_committed_only"])]:
    obs(cls.__name__ + " properties", [isinstance(inspect.getattr_static(cls, n, None), property) for n in names])

for cls, n in [(producer.ProduceResult, 5), (producer.TransactionResult, 5), (consumer.MessageResult, 9)]:
    fs = dataclasses.fields(cls)
    # Names only: klient gives defaults to fields the released class requires.
    obs(cls.__name__ + " fields", [f.name for f in fs[:n]])
    obs(cls.__name__ + " extra required", [f.name for f in fs[n:] if f.default is dataclasses.MISSING
                                           and f.default_factory is dataclasses.MISSING])
