"""Build step for the klient wheel: make sure libklient.so (and its companions) are in
klient/_lib before packaging, running `make build` at the repository root if not."""

from __future__ import annotations

import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIB = HERE / "klient" / "_lib"


def _repo_root() -> Path | None:
    for cand in (HERE.parent.parent, *HERE.parents):
        if (cand / "Makefile").is_file() and (cand / "go.mod").is_file():
            return cand
    return None


class BuildWithNative(build_py):
    def run(self) -> None:
        if not (LIB / "libklient.so").is_file():
            root = _repo_root()
            if root is None:
                raise SystemExit(
                    "klient: klient/_lib/libklient.so is missing and no klient source tree "
                    "(Makefile + go.mod) was found to build it; build from the repository."
                )
            subprocess.check_call(["make", "build"], cwd=root)
            if not (LIB / "libklient.so").is_file():
                raise SystemExit(f"klient: `make build` in {root} did not produce {LIB / 'libklient.so'}")
        super().run()


class BinaryDistribution(Distribution):
    # The wheel carries a native library: mark it platform-specific.
    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithNative}, distclass=BinaryDistribution)
