"""Rasa's own Python 3.10 environment: find an interpreter, create the venv, check it.

Rasa 3.6 supports Python 3.8–3.10 only, so it lives in a venv of its own and the
bot talks to it over HTTP. ``pip install 'rasa==3.6.*'`` into a fresh venv takes
about 1.5 minutes here (wheels only, ~2.7 GB on disk).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bot.errors import FrontdeskError

#: What ``frontdesk rasa setup`` installs; the pins live here and in docs/rasa.md.
RASA_REQUIREMENT = "rasa==3.6.*"
PYTHON_VERSION = "3.10"


class RasaError(FrontdeskError):
    """Rasa's environment or server could not be set up or reached."""


def find_python(explicit: Path | None = None) -> Path:
    """A Python 3.10 interpreter: ``explicit``, ``python3.10`` on PATH, or pyenv's.

    Raises :class:`RasaError` saying where it looked.
    """
    if explicit is not None:
        if _version(explicit) != PYTHON_VERSION:
            raise RasaError(f"{explicit} is not a Python {PYTHON_VERSION} interpreter")
        return explicit
    candidates: list[Path] = []
    if found := shutil.which(f"python{PYTHON_VERSION}"):
        candidates.append(Path(found))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted(
        pyenv.glob(f"versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"), reverse=True
    )
    for candidate in candidates:
        if _version(candidate) == PYTHON_VERSION:
            return candidate
    raise RasaError(
        f"no Python {PYTHON_VERSION} found (looked for python{PYTHON_VERSION} on PATH and in "
        f"{pyenv}/versions): install it (e.g. `pyenv install {PYTHON_VERSION}`) or pass --python"
    )


def _version(python: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def rasa_bin(venv: Path) -> Path:
    """The ``rasa`` command of a venv."""
    return venv / "bin" / "rasa"


def rasa_version(venv: Path) -> str | None:
    """The installed Rasa version of ``venv`` (``"3.6.21"``), or ``None`` without one."""
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    try:
        out = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('rasa'))"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def is_ready(venv: Path) -> bool:
    """The venv holds Rasa 3.6."""
    version = rasa_version(venv)
    return bool(version and re.match(r"3\.6\.", version)) and rasa_bin(venv).exists()


def ensure_venv(
    venv: Path, *, python: Path | None = None, say: Callable[[str], None] = print
) -> Path:
    """Create ``venv`` with Rasa 3.6 unless it already has it; return ``venv``.

    pip's output goes to the terminal (the install takes minutes). Raises
    :class:`RasaError` when no Python 3.10 is found or pip fails.
    """
    if is_ready(venv):
        say(f"Rasa {rasa_version(venv)} is ready in {venv}")
        return venv
    interpreter = find_python(python)
    say(f"Creating {venv} with {interpreter} and installing {RASA_REQUIREMENT} (a few minutes)…")
    _run([str(interpreter), "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "--quiet", RASA_REQUIREMENT])
    if not is_ready(venv):
        raise RasaError(f"{venv} still has no Rasa 3.6 after pip install")
    say(f"Rasa {rasa_version(venv)} is installed in {venv}")
    return venv


def _run(cmd: list[str]) -> None:
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RasaError(f"`{' '.join(cmd)}` failed: {exc}") from None
