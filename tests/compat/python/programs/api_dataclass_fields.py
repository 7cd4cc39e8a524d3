# The released dataclass fields, in order, with their defaults.
# topics: 0
import dataclasses

import klient

from _compat import obs

RELEASED = [(klient.ProducerConfig, 11), (klient.ConsumerConfig, 10), (klient.AdminConfig, 3), (klient.TopicMetadata, 4)]


def default(f):
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return "<required>"


for cls, n in RELEASED:
    fs = dataclasses.fields(cls)
    obs(cls.__name__, [[f.name, default(f)] for f in fs[:n] if f.name != "bootstrap_servers"])
    obs(cls.__name__ + " extra required", [f.name for f in fs[n:] if default(f) == "<required>"])
    obs(cls.__name__ + " is a dataclass", dataclasses.is_dataclass(cls))
