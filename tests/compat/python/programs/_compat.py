"""What every differential program imports: how to report an observation.

A program prints one JSON document per observation on stdout (`obs`). The harness
(tests/compat/python/test_programs.py) runs the program under glean-klient 0.1.2 and under
klient and compares the two lists line by line, after replacing the run's topic names and
ids with placeholders. `exc` records an exception as its class chain: klient passes when
the released chain is contained in its own (a subclass of the released class is fine).
`differs` records a deliberate difference (an id in docs/COMPATIBILITY.md); the harness
checks the id is documented and does not compare that line.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
from typing import Any

import klient

IS_KLIENT = "bindings/python" in (klient.__file__ or "")
BOOTSTRAP = os.environ["COMPAT_BOOTSTRAP"]
TOPIC = os.environ.get("COMPAT_TOPIC", "")
TOPIC2 = os.environ.get("COMPAT_TOPIC2", "")
RUN_ID = os.environ.get("COMPAT_ID", "")  # unique per run: use it in group and transactional ids


def norm(x: Any, depth: int = 0) -> Any:
    """A JSON-able, implementation-neutral picture of `x`."""
    if depth > 8:
        return "<deep>"
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(x).decode("latin-1")}
    if isinstance(x, enum.Enum):
        return {"enum": type(x).__name__, "name": x.name}
    if isinstance(x, BaseException):
        return exc_picture(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"class": type(x).__name__,
                "fields": [[f.name, norm(getattr(x, f.name), depth + 1)] for f in dataclasses.fields(x)]}
    if isinstance(x, dict):
        return {"dict": [[norm(k, depth + 1), norm(v, depth + 1)] for k, v in x.items()]}
    if isinstance(x, tuple):
        return {"tuple": [norm(v, depth + 1) for v in x]}
    if isinstance(x, (list, set, frozenset)):
        items = [norm(v, depth + 1) for v in x]
        return sorted(items, key=json.dumps) if isinstance(x, (set, frozenset)) else items
    return {"object": type(x).__name__}


def exc_picture(e: BaseException) -> dict[str, Any]:
    chain = [c.__name__ for c in type(e).__mro__ if c not in (object, BaseException, Exception)]
    return {"exc": chain}


def obs(label: str, value: Any = None) -> None:
    print(json.dumps({"label": label, "value": norm(value)}), flush=True)


def exc(label: str, e: BaseException) -> None:
    print(json.dumps({"label": label, "value": exc_picture(e)}), flush=True)


def differs(label: str, compat_id: str, value: Any = None) -> None:
    """A documented deliberate difference: `compat_id` is an anchor in docs/COMPATIBILITY.md."""
    print(json.dumps({"label": label, "differs": compat_id, "value": norm(value),
                      "impl": "klient" if IS_KLIENT else "released"}), flush=True)


def call(label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run fn; observe its result or its exception. Returns the result (None on exception)."""
    try:
        r = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        exc(label, e)
        return None
    obs(label, r)
    return r


def done() -> None:
    sys.stdout.flush()
