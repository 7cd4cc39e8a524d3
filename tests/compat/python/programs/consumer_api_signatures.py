# Every public name of the released klient.consumer and klient.relay, and the released
# parameters (names, order, defaults) of each method; klient may add parameters after them.
import inspect

import klient.consumer as cm
import klient.relay as rm
from _compat import obs

NAMES = ["KafkaConsumer", "ConsumerConfig", "MessageResult", "KafkaConsumerError", "KafkaConsumerRetriableError",
         "KafkaConsumerFatalError", "KafkaConsumerRebalanceError", "resolve_env_config", "split_env_config",
         "extract_bootstrap", "logger"]
obs("consumer names", [n for n in NAMES if not hasattr(cm, n)])
obs("relay names", [n for n in ("ExactlyOnceRelay", "KafkaConsumer", "MessageResult", "KafkaProducer") if not hasattr(rm, n)])

# (callable, number of released parameters)
METHODS = {
    "KafkaConsumer": (cm.KafkaConsumer.__init__, 6),
    "from_env_config": (cm.KafkaConsumer.from_env_config, 5),
    "subscribe": (cm.KafkaConsumer.subscribe, 2),
    "commit": (cm.KafkaConsumer.commit, 1),
    "seek_to_offset": (cm.KafkaConsumer.seek_to_offset, 4),
    "stop": (cm.KafkaConsumer.stop, 1),
    "poll_message": (cm.KafkaConsumer.poll_message, 2),
    "consume_messages": (cm.KafkaConsumer.consume_messages, 3),
    "message_stream": (cm.KafkaConsumer.message_stream, 2),
    "apoll_message": (cm.KafkaConsumer.apoll_message, 2),
    "aconsume_messages": (cm.KafkaConsumer.aconsume_messages, 3),
    "amessage_stream": (cm.KafkaConsumer.amessage_stream, 2),
    "start_consuming": (cm.KafkaConsumer.start_consuming, 3),
    "astart_consuming": (cm.KafkaConsumer.astart_consuming, 3),
    "filter_transactional_messages": (cm.KafkaConsumer.filter_transactional_messages, 2),
    "get_transactional_messages": (cm.KafkaConsumer.get_transactional_messages, 2),
    "get_non_transactional_messages": (cm.KafkaConsumer.get_non_transactional_messages, 2),
    "group_messages_by_transaction": (cm.KafkaConsumer.group_messages_by_transaction, 2),
    "__enter__": (cm.KafkaConsumer.__enter__, 1),
    "__exit__": (cm.KafkaConsumer.__exit__, 1),
    "from_confluent_message": (cm.MessageResult.from_confluent_message, 1),
    "ExactlyOnceRelay": (rm.ExactlyOnceRelay.__init__, 6),
    "run": (rm.ExactlyOnceRelay.run, 4),
    "arun": (rm.ExactlyOnceRelay.arun, 5),
    "relay stop": (rm.ExactlyOnceRelay.stop, 1),
}


def picture(p):
    default = "<none>" if p.default is inspect.Parameter.empty else repr(p.default)
    return [p.name, default]


for name, (fn, n) in METHODS.items():
    params = list(inspect.signature(fn).parameters.values())[:n]
    obs(name, [picture(p) for p in params])
obs("reads_committed_only is a property", isinstance(inspect.getattr_static(cm.KafkaConsumer, "reads_committed_only"), property))
obs("async", [inspect.iscoroutinefunction(cm.KafkaConsumer.apoll_message),
              inspect.iscoroutinefunction(cm.KafkaConsumer.aconsume_messages),
              inspect.isasyncgenfunction(cm.KafkaConsumer.amessage_stream),
              inspect.iscoroutinefunction(cm.KafkaConsumer.astart_consuming),
              inspect.iscoroutinefunction(rm.ExactlyOnceRelay.arun)])
