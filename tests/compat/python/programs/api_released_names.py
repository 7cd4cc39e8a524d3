# Every public name of the released package is importable from the same module.
# topics: 0
import importlib

from _compat import obs

RELEASED = {
    "klient": ["KafkaProducer", "ProducerConfig", "ProduceResult", "KafkaProducerError", "KafkaTransactionError",
               "TransactionResult", "KafkaConsumer", "ConsumerConfig", "MessageResult", "KafkaConsumerError",
               "KafkaAdmin", "AdminConfig", "KafkaAdminError", "TopicMetadata", "resolve_env_config",
               "split_env_config", "extract_bootstrap", "__version__"],
    "klient.producer": ["ProducerConfig", "ProduceResult", "TransactionResult", "KafkaProducerError",
                        "KafkaTransactionError", "KafkaProducerRetriableError", "KafkaProducerFatalError",
                        "KafkaProducerFencedError", "KafkaProducer", "RETRIABLE_ERROR_CODES", "FATAL_ERROR_CODES",
                        "FENCING_ERROR_CODES", "resolve_env_config", "split_env_config", "extract_bootstrap"],
    "klient.consumer": ["ConsumerConfig", "MessageResult", "KafkaConsumerError", "KafkaConsumerRetriableError",
                        "KafkaConsumerFatalError", "KafkaConsumerRebalanceError", "KafkaConsumer",
                        "resolve_env_config", "split_env_config", "extract_bootstrap"],
    "klient.admin": ["AdminConfig", "TopicMetadata", "KafkaAdminError", "KafkaAdmin", "resolve_env_config",
                     "split_env_config", "extract_bootstrap"],
    "klient.metrics": ["inc", "get", "snapshot"],
    "klient.relay": ["ExactlyOnceRelay", "KafkaConsumer", "KafkaProducer", "MessageResult"],
}
for mod, names in RELEASED.items():
    m = importlib.import_module(mod)
    obs(f"{mod} missing", [n for n in names if not hasattr(m, n)])
