"""Transcribing voice messages (widget voice input, WhatsApp voice notes), then answering them.

``transcription.transcribe`` loads the stored audio, commits (so no database lock is held while
the model runs or the endpoint answers), transcribes, writes the transcript into the message
(``text`` and ``content["transcript"]``), tells the inbox and the widget, and enqueues
``ai.reply`` when the conversation's automation is on. Without a provider, or when the audio
cannot be transcribed, the conversation is handed to a person instead of waiting silently.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.ai.schemas import AiReplyJob
from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message
from repdesk.db.engine import commit, queue_realtime
from repdesk.events.service import on_event
from repdesk.events.types import Event
from repdesk.files import service as files
from repdesk.jobs.registry import PermanentError, current_attempt, task
from repdesk.jobs.service import enqueue
from repdesk.transcription.base import TranscriptionError
from repdesk.transcription.schemas import TranscribeJob
from repdesk.transcription.service import get_transcriber

log = logging.getLogger("repdesk.transcription")

MAX_TRANSCRIPT = 4000


@task(TranscribeJob, max_attempts=4, backoff_base=2.0, backoff_cap=60.0)
async def transcribe_job(session: AsyncSession, job: TranscribeJob) -> None:
    message_id = job.message_id
    message = await session.get(Message, message_id)
    if message is None:
        raise PermanentError(f"message {message_id} no longer exists")
    if (message.content or {}).get("transcript") is not None:
        return  # done already (the job ran twice)
    stored = await files.get(session, job.file_id or str((message.content or {}).get("fileId")))
    if stored is None:
        raise PermanentError("the voice message's audio is missing")
    audio = await files.read(stored)
    mime, filename = stored.mime_type, stored.filename
    await commit(session)  # hold no lock while transcribing

    transcriber = get_transcriber()
    error: str | None = None
    text = ""
    provider = ""
    if transcriber is None:
        error = "No speech-to-text provider is configured."
    else:
        try:
            result = await transcriber.transcribe(audio, mime_type=mime, filename=filename)
            text, provider = result.text[:MAX_TRANSCRIPT], result.provider
            if not text:
                error = "No speech was recognised in the recording."
        except TranscriptionError as exc:
            attempt = current_attempt.get()
            if exc.retryable and (attempt is None or attempt[0] < attempt[1]):
                raise
            error = exc.message
    await apply_transcript(session, message_id, text=text, provider=provider, error=error)


async def apply_transcript(
    session: AsyncSession, message_id: str, *, text: str, provider: str, error: str | None
) -> None:
    message = await session.get(Message, message_id)
    if message is None:
        return
    conv = await session.get(Conversation, message.conversation_id)
    assistant = await session.get(Assistant, message.assistant_id)
    contact = await session.get(Contact, conv.contact_id) if conv else None
    if conv is None or assistant is None or contact is None:
        return
    if error:
        changes: dict[str, Any] = {"transcript": "", "transcriptError": error}
    else:
        changes = {"transcript": text, "transcriptProvider": provider}
        message.text = text  # the readable rendering of a voice message is what was said
    # Merged through the pipeline, which tells the inbox (message.updated).
    await conversations.update_content(session, message, changes)
    if message.channel == "widget" and contact.visitor_id:
        from repdesk.channels.widget.service import public_message, visitor_topic

        queue_realtime(
            session,
            visitor_topic(contact.visitor_id),
            {"type": "message", "message": public_message(message)},
        )
    if error:
        log.info("voice message %s not transcribed: %s", message_id, error)
        if conv.automation_enabled:
            await conversations.request_human(
                session, conv, "Voice message could not be transcribed"
            )
        return
    if conv.automation_enabled:
        await enqueue(
            session,
            AiReplyJob(conversation_id=conv.id, message_id=message.id),
            dedupe_key=f"ai.reply:{message.id}",
        )


@on_event((Event.MESSAGE_MEDIA_STORED,))
async def on_media_stored(session: AsyncSession, envelope: dict[str, Any]) -> None:
    """WhatsApp voice notes (and any channel's stored audio) go through the same transcription."""
    data = envelope.get("data") or {}
    if data.get("type") not in ("audio", "voice") or not data.get("messageId"):
        return
    await enqueue(
        session,
        TranscribeJob(message_id=str(data["messageId"]), file_id=str(data.get("fileId") or "")),
        dedupe_key=f"transcribe:{data['messageId']}",
    )
