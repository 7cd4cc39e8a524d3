# Names importable from klient.producer, the released dataclass fields (in order) and the
# released parameters (names, order, defaults) of every producer method.
# topics: 0
import dataclasses
import inspect

from _compat import obs
import klient.producer as kp

names = ["KafkaProducer", "ProducerConfig", "ProduceResult", "TransactionResult", "KafkaProducerError",
         "KafkaTransactionError", "KafkaProducerRetriableError", "KafkaProducerFatalError",
         "KafkaProducerFencedError", "RETRIABLE_ERROR_CODES", "FATAL_ERROR_CODES", "FENCING_ERROR_CODES"]
obs("names", [n for n in names if not hasattr(kp, n)])
obs("code sets", [type(getattr(kp, n)).__name__ for n in names[-3:]])
obs("ProduceResult fields", [f.name for f in dataclasses.fields(kp.ProduceResult)][:5])
obs("TransactionResult fields", [f.name for f in dataclasses.fields(kp.TransactionResult)][:5])
obs("hierarchy", [[c.__name__ for c in cls.__mro__ if c.__name__.startswith("Kafka")] for cls in
                  (kp.KafkaTransactionError, kp.KafkaProducerRetriableError, kp.KafkaProducerFatalError, kp.KafkaProducerFencedError)])
obs("exceptions take any args", kp.KafkaProducerError("a", "b").args)

RELEASED = {
    "__init__": 2, "from_env_config": 4, "produce": 7, "produce_batch": 2, "aproduce": 7, "aproduce_batch": 2,
    "flush": 1, "aflush": 1, "poll": 1, "begin_transaction": 0, "commit_transaction": 0, "abort_transaction": 0,
    "abegin_transaction": 0, "acommit_transaction": 0, "aabort_transaction": 0, "transaction": 0,
    "atransaction": 0, "close": 0,
}
for name, n in RELEASED.items():
    params = [p for p in inspect.signature(getattr(kp.KafkaProducer, name)).parameters.values() if p.name not in ("self", "cls")]
    obs(name, [[p.name, None if p.default is inspect.Parameter.empty else p.default] for p in params[:n]])
for name in ("produce_with_retry", "aproduce_with_retry"):
    params = inspect.signature(getattr(kp.KafkaProducer, name)).parameters
    obs(name, [[p.name, str(p.kind), None if p.default is inspect.Parameter.empty else p.default]
               for p in params.values() if p.name != "self"][:4])
for name in ("supports_transactions", "in_transaction"):
    obs(name + " is a property", isinstance(inspect.getattr_static(kp.KafkaProducer, name), property))
obs("contexts", [hasattr(kp.KafkaProducer, "TransactionContext"), hasattr(kp.KafkaProducer, "AsyncTransactionContext")])
obs("coroutines", [n for n in ("aproduce", "aproduce_batch", "aflush", "aproduce_with_retry", "abegin_transaction",
                               "acommit_transaction", "aabort_transaction") if inspect.iscoroutinefunction(getattr(kp.KafkaProducer, n))])
