"""What the readme_*.py programs share: a README step that glean-klient 0.1.2 cannot run.

Each readme_*.py program is one Python example of the README (klient-python-README.md),
changed only in broker address, topic names and ids (and, for the endless examples, a
stop condition). Where the released package lacks what the example uses, the step goes
through `readme_only`: under klient it must succeed (the program fails otherwise), under
the released package its failure is recorded, and the line is a documented difference.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from _compat import IS_KLIENT, differs


def readme_only(label: str, compat_id: str, fn: Callable[[], Any]) -> Any:
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the released package's failure is the observation
        if IS_KLIENT:
            raise
        differs(label, compat_id, e)
        return None
    differs(label, compat_id, r)
    return r


async def areadme_only(label: str, compat_id: str, fn: Callable[[], Awaitable[Any]]) -> Any:
    try:
        r = await fn()
    except Exception as e:  # noqa: BLE001
        if IS_KLIENT:
            raise
        differs(label, compat_id, e)
        return None
    differs(label, compat_id, r)
    return r
