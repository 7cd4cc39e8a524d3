"""Build step for the klient wheel.

The package is pure Python over ctypes: its only native files are klient/_lib/libklient.so
and the librdkafka.so.1 it loads from its own directory (RUNPATH $ORIGIN). So the wheel is
tagged py3-none-<platform>, one wheel for every Python >= 3.11; `make wheel` then gives it
its manylinux tag with auditwheel. The CLI ships once, inside libklient.so
(klient_cli_main, which the `klient` and `glean-kafka` scripts call): the separate
build/bin/klient binary is left out of the wheel.

When klient/_lib/libklient.so is missing, `make build` runs at the repository root, which
needs Go, make and a C compiler: their absence is reported up front.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIB = HERE / "klient" / "_lib"
NATIVE = ("libklient.so", "librdkafka.so.1")
BUILD_TOOLS = {"go": "Go >= 1.26 (https://go.dev/dl/)", "make": "GNU make", "gcc": "a C compiler (gcc)"}


def _repo_root() -> Path | None:
    for cand in (HERE.parent.parent, *HERE.parents):
        if (cand / "Makefile").is_file() and (cand / "go.mod").is_file():
            return cand
    return None


def _build_native() -> None:
    root = _repo_root()
    if root is None:
        raise SystemExit(
            "klient: klient/_lib/libklient.so is missing and no klient source tree (Makefile + "
            "go.mod) was found to build it. Build from a clone of the repository "
            "(`make wheel`), or install a published wheel."
        )
    missing = [why for tool, why in BUILD_TOOLS.items() if shutil.which(tool) is None]
    if missing:
        raise SystemExit(
            "klient: building libklient.so from source needs " + ", ".join(missing)
            + " on PATH (not found). Install them, or install a published klient wheel, "
            "which needs none of them."
        )
    subprocess.check_call(["make", "build"], cwd=root)
    if not (LIB / "libklient.so").is_file():
        raise SystemExit(f"klient: `make build` in {root} did not produce {LIB / 'libklient.so'}")


class BuildWithNative(build_py):
    def run(self) -> None:
        if not all((LIB / name).is_file() for name in NATIVE):
            _build_native()
        super().run()
        # Debug symbols are half of libklient.so's size; tracebacks do not need them
        # (Go's come from pclntab, which strip keeps).
        strip = shutil.which("strip")
        if strip and not self.dry_run:
            for name in NATIVE:
                built = Path(self.build_lib) / "klient" / "_lib" / name
                if built.is_file():
                    subprocess.check_call([strip, "--strip-unneeded", str(built)])


class BinaryDistribution(Distribution):
    # Native files inside: the wheel is platform-specific (platlib, a platform tag).
    def has_ext_modules(self) -> bool:
        return True


class PlatformOnlyWheel(bdist_wheel):
    # No extension module and no use of the Python C API: any Python 3 on this platform.
    def get_tag(self) -> tuple[str, str, str]:
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    cmdclass={"build_py": BuildWithNative, "bdist_wheel": PlatformOnlyWheel},
    distclass=BinaryDistribution,
)
