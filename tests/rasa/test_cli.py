"""``frontdesk rasa``: clear answers when Rasa's environment is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.rasa.venv import RasaError, find_python, is_ready
from tests.unit.contentkit import make_content


def test_serve_without_a_venv_says_to_run_setup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = make_content(tmp_path / "content")
    code = main(["rasa", "serve", "--venv", str(tmp_path / "none"), "--content", str(content)])
    assert code == 1
    assert "frontdesk rasa setup" in capsys.readouterr().err


def test_setup_refuses_a_python_that_is_not_3_10(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    venv = tmp_path / "venv"
    code = main(["rasa", "setup", "--venv", str(venv), "--python", "/bin/sh"])
    assert code == 1
    assert "not a Python 3.10" in capsys.readouterr().err
    assert not venv.exists()


def test_a_missing_interpreter_is_named() -> None:
    with pytest.raises(RasaError, match="nope"):
        find_python(Path("/nope/python3.10"))


def test_an_empty_folder_is_no_rasa_venv(tmp_path: Path) -> None:
    assert not is_ready(tmp_path)
