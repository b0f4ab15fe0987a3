"""Job payloads are typed: each kind has a Pydantic model, checked when the job is enqueued and
again when it runs (from the stored JSON, whose camelCase shape is unchanged)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from repdesk.app import load_modules
from repdesk.db.engine import Database
from repdesk.jobs.models import Job, JobStatus
from repdesk.jobs.registry import TASKS, JobPayload
from repdesk.jobs.service import enqueue
from repdesk.jobs.worker import Worker
from repdesk.kit.time import utcnow
from tests.jobs.sample_tasks import Echo, Record

SRC = Path(__file__).resolve().parents[2] / "src" / "repdesk"


# What each kind stored before payloads were typed: rows queued then must still run.
STORED_BEFORE = {
    "ai.reply": {"conversationId": "c1", "messageId": "m1"},
    "knowledge.reindex": {"assistantId": "a1"},
    "knowledge.extract": {"itemId": "i1"},
    "transcription.transcribe": {"messageId": "m1", "fileId": "f1"},
    "email.send": {"to": "a@example.com", "subject": "Hi", "body": "Hello"},
    "files.collect": {},
    "webhooks.deliver": {"deliveryId": "d1"},
    "broadcasts.send": {"broadcastId": "b1"},
    "channel.send": {"messageId": "m1"},
    "developer_api.resume_sends": {},
    "inbound.ingest": {},
    "inbound.sweep": {},
    "whatsapp.download_media": {"messageId": "m1", "mediaId": "media1"},
    "whatsapp.sync_templates": {"assistantId": "a1"},
    "whatsapp.sync_all_templates": {},
    "contacts.import": {"importId": "i1"},
    "contacts.refresh_engagement": {},
    "events.dispatch": {
        "event": "message.received",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "workspaceId": "w1",
        "assistantId": "a1",
        "data": {"id": "m1", "from": "+2348012345678", "content": {"text": "hi"}},
    },
}


async def jobs_of(db: Database, kind: str) -> list[Job]:
    async with db.session() as s:
        return list((await s.scalars(select(Job).where(Job.kind == kind))).all())


async def test_a_payload_that_does_not_fit_is_refused_when_enqueued(db: Database) -> None:
    with pytest.raises(ValidationError):
        async with db.transaction() as s:
            await enqueue(s, Record(log="x", n="seven"))  # type: ignore[arg-type]
    assert await jobs_of(db, "test.record") == []


async def test_payloads_are_stored_as_the_camelcase_json_they_always_were(db: Database) -> None:
    async with db.transaction() as s:
        await enqueue(s, Echo(log="/tmp/x", message_id="m1"))
    (job,) = await jobs_of(db, "test.echo")
    assert job.payload == {"log": "/tmp/x", "messageId": "m1"}
    assert job.status == JobStatus.QUEUED


async def test_a_row_queued_with_a_plain_dict_still_runs(
    db: Database, worker: Worker, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    async with db.transaction() as s:
        s.add(Job(kind="test.echo", payload={"log": str(log), "messageId": "m7"}, run_at=utcnow()))
    assert await worker.drain() == 1
    assert log.read_text().splitlines() == ["echo m7"]
    assert await jobs_of(db, "test.echo") == []


async def test_a_stored_payload_that_no_longer_validates_is_set_aside(
    db: Database, worker: Worker, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    async with db.transaction() as s:
        s.add(Job(kind="test.echo", payload={"log": str(log)}, run_at=utcnow(), max_attempts=5))
    assert await worker.run_once() == 1
    (job,) = await jobs_of(db, "test.echo")
    assert job.status == JobStatus.FAILED and job.attempts == 1  # not retried
    assert "invalid payload" in (job.last_error or "")
    assert "Echo" in (job.last_error or "") and "messageId" in (job.last_error or "")
    assert not log.exists()  # the handler never ran
    assert await worker.run_once() == 0


def test_every_kind_reads_what_it_stored_before_payloads_were_typed() -> None:
    load_modules()
    for kind, stored in STORED_BEFORE.items():
        model = TASKS[kind].payload_model
        assert model is not None, kind
        assert model.model_validate(stored).wire() == stored, kind


def test_every_task_takes_a_payload_model() -> None:
    load_modules()
    untyped = {k for k, spec in TASKS.items() if not issubclass(spec.payload_model, JobPayload)}
    assert untyped == set()
    assert {"channel.send", "inbound.ingest", "contacts.import"} <= set(TASKS)


def test_every_task_lives_in_its_domains_tasks_module() -> None:
    load_modules()
    elsewhere = {
        kind
        for kind, spec in TASKS.items()
        if not spec.handler.__module__.endswith(".tasks") and not kind.startswith("test.")
    }
    assert elsewhere == set(), elsewhere


def untyped_enqueues(source: str, filename: str) -> list[str]:
    """``enqueue(session, "kind", {...})`` calls: a kind string instead of a payload model."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in ("enqueue", "enqueue_once"):
            continue
        kind = node.args[1] if len(node.args) > 1 else None
        if len(node.args) > 2 or (isinstance(kind, ast.Constant) and isinstance(kind.value, str)):
            found.append(f"{filename}:{node.lineno}")
    return found


def test_jobs_are_enqueued_with_their_payload_model() -> None:
    offenders = {
        line.split(":")[0]
        for path in SRC.rglob("*.py")
        if not path.is_relative_to(SRC / "jobs")
        for line in untyped_enqueues(path.read_text("utf-8"), path.relative_to(SRC).as_posix())
    }
    assert offenders == set(), offenders


def test_the_enqueue_check_finds_an_untyped_call() -> None:
    bad = "async def f(s):\n    await enqueue(s, 'x.y', {'a': 1})\n    await enqueue(s, X(a=1))\n"
    assert untyped_enqueues(bad, "bad.py") == ["bad.py:2"]
