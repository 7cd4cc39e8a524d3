"""``python -m klient ...``: the klient command line.

It execs the native CLI bundled with the package (``klient/_lib/klient``, the same
binary as ``build/bin/klient``), so help, output, signal handling and exit codes are
exactly the native CLI's. Without the binary it runs the same CLI in-process through
``klient_cli_main``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _binary() -> Path | None:
    here = Path(__file__).resolve().parent
    for cand in (here / "_lib" / "klient", here.parents[2] / "build" / "bin" / "klient"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    exe = _binary()
    if exe is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(str(exe), ["klient", *args])
    # Fallback: the CLI linked into libklient (same code, same exit codes).
    import ctypes

    from . import _native

    argv_c = (ctypes.c_char_p * (len(args) + 2))(b"klient", *[a.encode() for a in args], None)
    return int(_native.lib.klient_cli_main(len(args) + 1, argv_c))


if __name__ == "__main__":
    sys.exit(main())
