"""Visitor messages: what a visitor sends (text, files, voice notes) goes into the pipeline as
customer messages (``conversations.record_inbound``); what the visitor sees of a conversation
(history, shared files) is read here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.widget.config import widget_settings
from repdesk.channels.widget.errors import (
    FeatureDisabledError,
    FileTooLargeError,
    UnsupportedFileTypeError,
)
from repdesk.channels.widget.sniff import EXTENSIONS, kind_of, sniff_audio, sniff_file
from repdesk.channels.widget.visitors import visitor_topic
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Conversation, Message, MessageStatus
from repdesk.db.engine import queue_realtime
from repdesk.files import service as files
from repdesk.files.models import StoredFile
from repdesk.jobs.service import enqueue
from repdesk.kit.errors import NotFound, ValidationError
from repdesk.kit.ids import new_id
from repdesk.kit.time import isoformat
from repdesk.transcription import service as transcription
from repdesk.transcription.schemas import TranscribeJob

CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def public_message(message: Message) -> dict[str, Any]:
    """A message as the visitor sees it (no internal ids beyond what the widget needs)."""
    content = message.content or {}
    attachment = None
    file_id = content.get("fileId") or (content.get("media") or {}).get("id")
    if file_id and message.type in ("image", "document", "audio", "video"):
        media = content.get("media") or {}
        attachment = {
            "fileId": file_id,
            "mimeType": content.get("mimeType") or media.get("mime_type") or "",
            "filename": content.get("filename") or media.get("filename") or "",
            "size": content.get("size"),
        }
    client_id = None
    if message.direction == "in" and message.external_id:
        client_id = message.external_id.partition(":")[2] or None
    text = message.text
    if message.type == "audio" and message.direction == "in":
        text = str(content.get("transcript") or "")
    return {
        "id": message.id,
        "clientId": client_id,
        "direction": message.direction,
        "sender": message.sender,
        "type": message.type,
        "text": text,
        "attachment": attachment,
        "transcript": content.get("transcript"),
        "status": message.status,
        "createdAt": isoformat(message.created_at),
    }


async def find_conversation(
    session: AsyncSession, assistant: Assistant, visitor_id: str
) -> Conversation | None:
    return await session.scalar(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.assistant_id == assistant.id, Contact.visitor_id == visitor_id)
    )


async def history(
    session: AsyncSession, assistant: Assistant, visitor_id: str, *, limit: int | None = None
) -> list[dict[str, Any]]:
    conv = await find_conversation(session, assistant, visitor_id)
    if conv is None:
        return []
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.status != MessageStatus.FAILED)
        .order_by(Message.id.desc())
        .limit(limit or widget_settings().history_limit)
    )
    return [public_message(m) for m in reversed(list(rows))]


def _check_client_id(client_id: str | None) -> str:
    if client_id is None or client_id == "":
        return new_id()
    if not CLIENT_ID_RE.match(client_id):
        raise ValidationError("clientId: 1 to 64 letters, digits, '-' or '_'.")
    return client_id


def _push(session: AsyncSession, visitor_id: str, payload: dict[str, Any]) -> None:
    queue_realtime(session, visitor_topic(visitor_id), payload)


async def receive_text(
    session: AsyncSession,
    assistant: Assistant,
    *,
    visitor_id: str,
    text: str,
    client_id: str | None = None,
) -> dict[str, Any]:
    """Store a visitor's text message (idempotent on its client id)."""
    client_id = _check_client_id(client_id)
    text = (text or "").strip()
    if not text:
        raise ValidationError("text: the message is empty.")
    limit = widget_settings().max_message_chars
    if len(text) > limit:
        raise ValidationError(f"text: at most {limit} characters.", code="MESSAGE_TOO_LONG")
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type="text",
        text=text,
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
    )
    return _after_inbound(session, inbound, visitor_id)


def _after_inbound(
    session: AsyncSession, inbound: conversations.Inbound, visitor_id: str, *, typing: bool = True
) -> dict[str, Any]:
    data = public_message(inbound.message)
    if inbound.created:
        _push(session, visitor_id, {"type": "message", "message": data})
        if typing and inbound.conversation.automation_enabled:
            _push(session, visitor_id, {"type": "typing", "on": True})
    return data


async def read_limited(stream: Any, limit: int) -> bytes:
    """Read an upload up to ``limit`` bytes; larger uploads are refused without reading on."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(64 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FileTooLargeError(f"The file is larger than {limit // (1024 * 1024)} MB.")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class _UploadRule:
    """What an upload of one kind must be, and what the visitor is told when it is not."""

    empty: str
    too_large: str
    unsupported: str
    sniff: Callable[[bytes], str | None]
    max_bytes: Callable[[], int]


_FILE = _UploadRule(
    empty="The file is empty.",
    too_large="The file is too large.",
    unsupported=(
        "This kind of file cannot be shared: send an image (PNG, JPEG, GIF, WebP), a PDF, "
        "a Word document (DOCX) or a text file."
    ),
    sniff=sniff_file,
    max_bytes=lambda: widget_settings().max_upload_bytes,
)
_VOICE = _UploadRule(
    empty="The recording is empty.",
    too_large="The recording is too long.",
    unsupported="The recording is not in a supported audio format.",
    sniff=sniff_audio,
    max_bytes=lambda: widget_settings().max_voice_bytes,
)


def _checked_upload(data: bytes, rule: _UploadRule) -> str:
    """The sniffed MIME type of an upload that is not empty, fits, and is of a kind we take."""
    if not data:
        raise ValidationError(rule.empty)
    if len(data) > rule.max_bytes():
        raise FileTooLargeError(rule.too_large)
    mime = rule.sniff(data)
    if mime is None:
        raise UnsupportedFileTypeError(rule.unsupported)
    return mime


async def receive_file(
    session: AsyncSession,
    assistant: Assistant,
    settings: dict[str, Any],
    *,
    visitor_id: str,
    data: bytes,
    filename: str,
    caption: str = "",
    client_id: str | None = None,
) -> dict[str, Any]:
    if not settings["filesEnabled"]:
        raise FeatureDisabledError("File sharing is turned off for this chat.")
    client_id = _check_client_id(client_id)
    mime = _checked_upload(data, _FILE)
    caption = (caption or "").strip()[: widget_settings().max_message_chars]
    name = _safe_filename(filename, mime)
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=mime,
        filename=name,
        assistant_id=assistant.id,
        purpose="widget_upload",
    )
    kind = kind_of(mime)
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type=kind,
        text=caption or name,
        content={
            "fileId": stored.id,
            "mimeType": mime,
            "filename": name,
            "size": len(data),
            "caption": caption,
        },
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
    )
    return _after_inbound(session, inbound, visitor_id)


async def receive_voice(
    session: AsyncSession,
    assistant: Assistant,
    settings: dict[str, Any],
    *,
    visitor_id: str,
    data: bytes,
    client_id: str | None = None,
) -> dict[str, Any]:
    if not settings["voiceEnabled"] or not transcription.is_available():
        raise FeatureDisabledError("Voice messages are not available for this chat.")
    client_id = _check_client_id(client_id)
    mime = _checked_upload(data, _VOICE)
    name = f"voice-{client_id}.{EXTENSIONS[mime]}"
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=mime,
        filename=name,
        assistant_id=assistant.id,
        purpose="voice",
    )
    inbound = await conversations.record_inbound(
        session,
        assistant=assistant,
        channel="widget",
        type="audio",
        text="[voice message]",
        content={"fileId": stored.id, "mimeType": mime, "filename": name, "size": len(data)},
        external_id=f"{visitor_id}:{client_id}",
        visitor_id=visitor_id,
        trigger_ai=False,
    )
    if inbound.created:
        await enqueue(
            session,
            TranscribeJob(message_id=inbound.message.id, file_id=stored.id),
            dedupe_key=f"transcribe:{inbound.message.id}",
        )
    return _after_inbound(session, inbound, visitor_id, typing=True)


def _safe_filename(filename: str, mime: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    base = base.strip(" .")[:100]
    ext = EXTENSIONS[mime]
    if not base:
        base = f"file.{ext}"
    elif not base.lower().endswith("." + ext) and not (
        ext == "jpg" and base.lower().endswith(".jpeg")
    ):
        base = f"{base}.{ext}"
    return base


async def visitor_file(
    session: AsyncSession, assistant: Assistant, *, visitor_id: str, file_id: str
) -> StoredFile:
    """A file shared in this visitor's conversation (by them or by the business)."""
    conv = await find_conversation(session, assistant, visitor_id)
    if conv is not None:
        rows = await session.scalars(
            select(Message.content).where(
                Message.conversation_id == conv.id,
                Message.type.in_(("image", "document", "audio", "video")),
            )
        )
        for content in rows:
            c = content or {}
            if file_id in (c.get("fileId"), (c.get("media") or {}).get("id")):
                stored = await files.get(session, file_id)
                if stored is not None and stored.workspace_id == assistant.workspace_id:
                    return stored
    raise NotFound("File not found.")


async def avatar_file(
    session: AsyncSession, assistant: Assistant, settings: dict[str, Any]
) -> StoredFile:
    file_id = settings.get("avatarFileId")
    stored = await files.get(session, file_id) if file_id else None
    if stored is None or stored.workspace_id != assistant.workspace_id:
        raise NotFound("This widget has no avatar.")
    return stored
