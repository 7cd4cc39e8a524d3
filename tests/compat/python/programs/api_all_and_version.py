# klient.__all__ holds the released __all__; __version__ is the released string.
# topics: 0
import klient

from _compat import obs

RELEASED_ALL = ['KafkaProducer', 'ProducerConfig', 'ProduceResult', 'KafkaProducerError', 'KafkaTransactionError',
                'TransactionResult', 'KafkaConsumer', 'ConsumerConfig', 'MessageResult', 'KafkaConsumerError',
                'KafkaAdmin', 'AdminConfig', 'KafkaAdminError', 'TopicMetadata', 'resolve_env_config',
                'split_env_config', 'extract_bootstrap']
obs("missing from __all__", sorted(set(RELEASED_ALL) - set(klient.__all__)))
obs("__version__", klient.__version__)
ns: dict = {}
exec("from klient import *", ns)
obs("star import", sorted(n for n in RELEASED_ALL if n not in ns))
obs("metrics is a module", type(klient.metrics).__name__)
