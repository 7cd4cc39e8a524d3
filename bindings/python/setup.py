"""Build step for the klient wheel.

The package is pure Python over ctypes: its only native files are klient/_lib/libklient.so
and the librdkafka.so.1 it loads from its own directory (RUNPATH $ORIGIN). So the wheel is
tagged py3-none-<platform>, one wheel for every Python >= 3.11; `make wheel` then gives it
its manylinux tag with auditwheel. The CLI ships once, inside libklient.so
(klient_cli_main, which the `klient` and `glean-kafka` scripts call): the separate
build/bin/klient binary is left out of the wheel.

When klient/_lib/libklient.so is missing, `make build` runs at the repository root (or,
in an sdist, in its native/ copy of the Go sources), which needs Go, make and a C
compiler: their absence is reported up front.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
LIB = HERE / "klient" / "_lib"
NATIVE = ("libklient.so", "librdkafka.so.1")
# What `make build` needs, copied into an sdist's native/ so that it builds on its own.
NATIVE_SOURCES = ("Makefile", "go.mod", "go.sum", "build/librdkafka.sh", "capi", "cmd", "core", "include", "internal")
BUILD_TOOLS = {"go": "Go >= 1.26 (https://go.dev/dl/)", "make": "GNU make", "gcc": "a C compiler (gcc)"}


def _repo_root() -> Path | None:
    for cand in (HERE / "native", HERE.parent.parent, *HERE.parents):
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
            + " on PATH (not found). Install what is missing, or install a published klient wheel, "
            "which needs none of them."
        )
    subprocess.check_call(["make", "build"], cwd=root)
    # In a checkout `make build` copies the libraries into klient/_lib itself; from an
    # sdist's native/ it cannot see the package, so copy them here.
    for name in NATIVE:
        built = root / "build" / "lib" / name
        if not (LIB / name).is_file() and built.is_file():
            LIB.mkdir(exist_ok=True)
            shutil.copy(built, LIB / name)
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


class SdistWithNative(sdist):
    # A fresh clone's sdist carries the Go sources (native/) instead of built libraries,
    # so a wheel built from it (pip, python -m build) runs `make build` there.
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        # From a checkout, or again from an unpacked sdist (its own native/).
        root = HERE / "native" if (HERE / "native" / "go.mod").is_file() else HERE.parent.parent
        dest = Path(base_dir) / "native"
        for rel in NATIVE_SOURCES:
            src = root / rel
            if src.is_dir():
                shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("*_test.go", "testdata"))
            else:
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
        lib = Path(base_dir) / "klient" / "_lib"
        if lib.is_dir():
            shutil.rmtree(lib)  # built on the target machine, never shipped prebuilt


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
    cmdclass={"build_py": BuildWithNative, "bdist_wheel": PlatformOnlyWheel, "sdist": SdistWithNative},
    distclass=BinaryDistribution,
)
