"""Secret-leak probe for tests/faults/secrets_test.go: drives the Python package and the
C ABI (through ctypes, the same libklient.so) into their error paths with secrets set,
and prints EVERYTHING it can observe (exception text and repr, config repr, the klient
logger's events, C error messages) to stdout. The Go test greps it for the markers.

Usage: secrets_probe.py SASL_BOOTSTRAP MARKER_JSON
"""

import ctypes
import json
import logging
import sys

import klient
from klient import ConsumerConfig, KafkaConsumer, KafkaProducer, ProducerConfig, _native


def main() -> None:
    bootstrap, markers = sys.argv[1], json.loads(sys.argv[2])
    h = logging.StreamHandler(sys.stdout)
    logging.getLogger("klient").addHandler(h)
    logging.getLogger("klient").setLevel(logging.DEBUG)
    sasl = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "klient",
            "sasl.password": markers["sasl.password"], "message.timeout.ms": 8000}
    every = dict(markers)

    def show(what, fn):
        try:
            r = fn()
            print(what, "->", repr(r))
        except BaseException as e:  # noqa: BLE001 - everything is output to check
            print(what, "raised", type(e).__name__, str(e), repr(e), getattr(e, "args", None))

    pc = ProducerConfig(bootstrap_servers=bootstrap, additional_config=sasl)
    print("repr(ProducerConfig):", repr(pc), str(pc))
    print("mask_config:", klient.mask_config(dict(sasl, **every)))
    # A failing authentication: the wrong password (the marker) on the SCRAM listener.
    p = None
    try:
        p = KafkaProducer(pc)
        print("repr(producer):", repr(p))
        show("produce_with_retry", lambda: p.produce_with_retry("secrets-topic", value=b"x", max_attempts=1))
        show("produce", lambda: p.produce("secrets-topic", value=b"x"))
        show("flush", lambda: p.flush(10))
    except BaseException as e:  # noqa: BLE001
        print("KafkaProducer raised", type(e).__name__, str(e), repr(e))
    finally:
        if p is not None:
            show("close", lambda: p.close(5))
    # Every secret at once: config validation errors (ssl.* without files) must not echo them.
    show("producer with every secret", lambda: KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config=dict(sasl, **every))))
    show("consumer with every secret", lambda: KafkaConsumer(ConsumerConfig(bootstrap_servers=bootstrap, group_id="secrets-g",
                                                                               additional_config=dict(sasl, **every))))
    cc = ConsumerConfig(bootstrap_servers=bootstrap, group_id="secrets-g", additional_config=dict(sasl, **every))
    print("repr(ConsumerConfig):", repr(cc))
    # A bad value next to the secrets: the error must name the bad key, not dump the map.
    show("bad value", lambda: KafkaProducer(ProducerConfig(bootstrap_servers=bootstrap, additional_config=dict(every, **{"linger.ms": "soon"}))))

    # The C ABI directly: klient_producer_new with the secrets and a bad property.
    lib = _native.lib

    class Err(ctypes.Structure):
        _fields_ = [("code", ctypes.c_int), ("kafka_code", ctypes.c_int), ("retriable", ctypes.c_int),
                    ("fatal", ctypes.c_int), ("txn_requires_abort", ctypes.c_int), ("message", ctypes.c_char_p)]

    fn = lib.klient_producer_new
    for cfg in (dict(every, **{"bootstrap.servers": bootstrap, "no.such.property": 1}),
                dict(every, **{"bootstrap.servers": bootstrap, "linger.ms": "soon"}),
                dict(every, **sasl, **{"bootstrap.servers": bootstrap})):
        handle, err = ctypes.c_void_p(), ctypes.POINTER(Err)()
        rc = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)(ctypes.cast(fn, ctypes.c_void_p).value)(
            json.dumps(cfg).encode(), ctypes.byref(handle), ctypes.byref(err))
        msg = err.contents.message.decode() if err else ""
        print("C klient_producer_new rc", rc, "message:", msg)
        if err:
            ctypes.CFUNCTYPE(None, ctypes.c_void_p)(ctypes.cast(lib.klient_error_destroy, ctypes.c_void_p).value)(
                ctypes.cast(err, ctypes.c_void_p))
        if handle:
            lib.klient_producer_destroy(handle)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
