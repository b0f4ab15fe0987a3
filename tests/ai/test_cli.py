"""``repdesk demo`` and ``repdesk eval`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from repdesk.ai.dialect import for_channel


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REPDESK_DATA_DIR": str(data_dir),
        "REPDESK_DATABASE_URL": "",
        "REPDESK_EMBEDDINGS": "off",
        "REPDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("REPDESK_TEST_DB", None)
    exe = str(Path(sys.executable).parent / "repdesk")
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=300)


def test_demo_loads_a_business_and_eval_prints_the_metrics(tmp_path: Path) -> None:
    out = _run(["demo"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "demo business loaded: assistant" in out.stdout
    again = _run(["demo"], tmp_path)  # the existing demo user gets another assistant
    assert again.returncode == 0, again.stderr
    ev = _run(["eval", "--set", "v1"], tmp_path)
    assert ev.returncode == 0, ev.stdout + ev.stderr
    for metric in (
        "answer accuracy",
        "invented-amount rate",
        "correct 'I don't know'",
        "order exactness",
        "handoff precision",
        "handoff recall",
        "p50/p99",
    ):
        assert metric in ev.stdout


def test_eval_runs_the_v2_businesses_and_fails_only_on_runner_errors(tmp_path: Path) -> None:
    import json

    ev = _run(["eval", "--split", "tune", "--business", "bakery_surulere", "--json"], tmp_path)
    assert ev.returncode == 0, ev.stdout[-2000:] + ev.stderr[-2000:]
    report = json.loads(ev.stdout)
    assert report["set"] == "v2" and report["split"] == "tune"
    assert list(report["businesses"]) == ["bakery_surulere"]
    assert report["overall"]["questions"] == 43 and report["overall"]["orders"] == 6
    for key in ("answer_accuracy", "handoff_recall", "false_handoff_rate", "order_exactness"):
        assert key in report["overall"]
    bad = _run(["eval", "--business", "no_such_business"], tmp_path)
    assert bad.returncode == 2 and "could not run" in bad.stderr


def test_whatsapp_replies_are_short_without_headers_or_tables() -> None:
    text = "# Prices\n| Item | Price |\n|---|---|\n| Dress | ₦18,500 |\n" + "More. " * 300
    out = for_channel(text, "whatsapp")
    assert len(out) <= 700
    assert "#" not in out and "|" not in out and "Dress · ₦18,500" in out
    assert for_channel("**bold** text", "widget") == "**bold** text"
