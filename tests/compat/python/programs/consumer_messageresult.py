# MessageResult: the released positional order and defaults, equality, and
# from_confluent_message on an object with confluent-kafka Message's methods.
import dataclasses

from _compat import call, obs
from klient.consumer import MessageResult

m = MessageResult("t", 1, 42, b"k", b"v", (1, 1700000000000))
obs("fields", [[f.name, f.default if f.default is not dataclasses.MISSING else "<required>"]
               for f in dataclasses.fields(MessageResult)])
obs("positional", m)
obs("equal", m == MessageResult(topic="t", partition=1, offset=42, key=b"k", value=b"v", timestamp=(1, 1700000000000)))
obs("full", MessageResult("t", 0, 1, None, None, (0, -1), {"a": b"b"}, True, "tx"))
call("missing timestamp", MessageResult, "t", 0, 1, b"k", b"v")
m.value = b"changed"
obs("mutable", m.value)


class FakeMessage:
    def __init__(self, headers):
        self._headers = headers

    def topic(self): return "orders"
    def partition(self): return 2
    def offset(self): return 7
    def key(self): return b"key"
    def value(self): return b"value"
    def timestamp(self): return (1, 123)
    def headers(self): return self._headers


obs("from_confluent no headers", MessageResult.from_confluent_message(FakeMessage(None)))
obs("from_confluent headers", MessageResult.from_confluent_message(FakeMessage([("a", b"1"), ("b", None)])))
obs("from_confluent txid", MessageResult.from_confluent_message(FakeMessage([(b"__transaction_id", b"tx-9")])))
obs("from_confluent str txid key", MessageResult.from_confluent_message(FakeMessage([("__transaction_id", b"tx-9")])))
