# The released exception classes: hierarchy, any positional arguments, str(), args.
# topics: 0
import klient
from klient import admin, consumer, producer

from _compat import call, obs

classes = {
    "KafkaProducerError": producer.KafkaProducerError,
    "KafkaTransactionError": producer.KafkaTransactionError,
    "KafkaProducerRetriableError": producer.KafkaProducerRetriableError,
    "KafkaProducerFatalError": producer.KafkaProducerFatalError,
    "KafkaProducerFencedError": producer.KafkaProducerFencedError,
    "KafkaConsumerError": consumer.KafkaConsumerError,
    "KafkaConsumerRetriableError": consumer.KafkaConsumerRetriableError,
    "KafkaConsumerFatalError": consumer.KafkaConsumerFatalError,
    "KafkaConsumerRebalanceError": consumer.KafkaConsumerRebalanceError,
    "KafkaAdminError": admin.KafkaAdminError,
}
for name, cls in classes.items():
    obs(name + " bases", [b.__name__ for b in cls.__mro__ if b.__name__ in classes or b is Exception])
    e = call(name + "()", cls)
    obs(name + " no args", [e.args, str(e)])
    e = cls("a", 2)
    obs(name + " two args", [e.args, str(e)])
    e = cls("message")
    obs(name + " one arg", [e.args, str(e), repr(e.args)])
obs("top-level same classes", [klient.KafkaProducerError is producer.KafkaProducerError,
                                klient.KafkaConsumerError is consumer.KafkaConsumerError,
                                klient.KafkaAdminError is admin.KafkaAdminError,
                                klient.KafkaTransactionError is producer.KafkaTransactionError])
try:
    raise producer.KafkaProducerFencedError("fenced")
except producer.KafkaTransactionError as e:
    obs("fenced caught as transaction error", str(e))
