"""The compiled path's build (the rest of the metadata is in pyproject.toml).

`vostui._speedups` is built where a C compiler and the Python headers exist. Where
they do not, the install goes on in pure Python and says so in one line with the fix;
`vostui --version` then says "(pure Python)". VOSTUI_NO_EXTENSION=1 skips the build.

In a checkout, `python setup.py --inplace` builds the extension beside its source (what
`pip install -e .` does too).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FIX = (
    "vostui: the compiled path was not built ({why}); installing pure Python. "
    "For the fast path: 'yum install gcc python3-devel' or 'apt install gcc python3-dev', "
    "then run install.sh again"
)


class OptionalBuildExt(build_ext):
    """build_ext that never fails the install: no compiler means pure Python."""

    def run(self) -> None:
        if os.environ.get("VOSTUI_NO_EXTENSION", "").strip() not in ("", "0"):
            print(FIX.format(why="VOSTUI_NO_EXTENSION is set"), file=sys.stderr)
            return
        # Always compile: a `build/` left in the checkout by an earlier install must not
        # stand in for a compiler this machine does not have.
        self.force = True
        try:
            super().run()
        except Exception as exc:  # no compiler, no headers: distutils errors of all kinds
            print(FIX.format(why=_first_line(exc)), file=sys.stderr)
            for ext in self.extensions:
                self._forget(ext)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(FIX.format(why=_first_line(exc)), file=sys.stderr)
            self._forget(ext)

    def _forget(self, ext: Extension) -> None:
        """No build: no extension from an earlier build either (it would be installed)."""
        Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class BuildPyWithThemes(build_py):
    """The bundled themes go into the wheel as vostui/_themes (see vostui.ui.themes)."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "vostui" / "_themes"
        target.mkdir(parents=True, exist_ok=True)
        for theme in sorted((HERE / "themes").glob("*.toml")):
            shutil.copy2(theme, target / theme.name)


def extension() -> Extension:
    return Extension(
        "vostui._speedups",
        sources=["vostui/_speedups.c"],
        extra_compile_args=["-std=c99", "-O2"],
        optional=True,
    )


def build_in_place() -> None:
    """`python setup.py --inplace`: the extension alone, beside its source, with the
    setuptools at hand (however old: pyproject.toml is not read)."""
    from setuptools import Distribution

    os.chdir(HERE)
    dist = Distribution({"name": "vostui", "ext_modules": [extension()]})
    cmd = OptionalBuildExt(dist)
    cmd.inplace = True
    cmd.ensure_finalized()
    cmd.run()


if __name__ == "__main__" and sys.argv[1:] == ["--inplace"]:
    build_in_place()
elif __name__ == "__main__":
    setup(
        ext_modules=[extension()],
        cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithThemes},
    )
