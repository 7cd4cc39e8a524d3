# The released parameters (names, order, defaults) of the admin, config and metrics
# callables; klient may add parameters after them.
# topics: 0
import inspect

import klient
from klient import admin, metrics

from _compat import obs

RELEASED_COUNTS = {
    "resolve_env_config": (klient.resolve_env_config, 2),
    "split_env_config": (klient.split_env_config, 1),
    "extract_bootstrap": (klient.extract_bootstrap, 1),
    "KafkaAdmin.__init__": (klient.KafkaAdmin.__init__, 2),
    "KafkaAdmin.from_env_config": (klient.KafkaAdmin.from_env_config.__func__, 4),
    "KafkaAdmin.create_topics": (klient.KafkaAdmin.create_topics, 4),
    "KafkaAdmin.delete_topics": (klient.KafkaAdmin.delete_topics, 3),
    "KafkaAdmin.list_topics": (klient.KafkaAdmin.list_topics, 2),
    "KafkaAdmin.describe_topics": (klient.KafkaAdmin.describe_topics, 3),
    "KafkaAdmin.get_cluster_metadata": (klient.KafkaAdmin.get_cluster_metadata, 2),
    "KafkaAdmin.topic_exists": (klient.KafkaAdmin.topic_exists, 3),
    "metrics.inc": (metrics.inc, 2),
    "metrics.get": (metrics.get, 1),
    "metrics.snapshot": (metrics.snapshot, 0),
    "ProducerConfig.to_confluent_config": (klient.ProducerConfig.to_confluent_config, 1),
    "ConsumerConfig.to_confluent_config": (klient.ConsumerConfig.to_confluent_config, 1),
    "AdminConfig.to_confluent_config": (klient.AdminConfig.to_confluent_config, 1),
}


def picture(p: inspect.Parameter):
    # A parameter klient makes optional (default None) pictures like a required one.
    d = None if p.default is inspect.Parameter.empty or p.default is None else repr(p.default)
    return [p.name, p.kind.name, d]


for label, (fn, n) in RELEASED_COUNTS.items():
    params = list(inspect.signature(fn).parameters.values())
    obs(label, [picture(p) for p in params[:n]])
    # Whatever klient adds must be optional, so released calls still bind.
    obs(label + " extra required", [p.name for p in params[n:] if p.default is inspect.Parameter.empty
                                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)])
