"""Background work: the inbound queue (``whatsapp.ingest``), inbound media download into
repdesk.files, template sync (on connect and periodically)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service
from repdesk.channels.whatsapp.client import GraphClient, GraphError
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.conversations import service as conversations
from repdesk.conversations.models import Message
from repdesk.db.engine import commit
from repdesk.events.service import emit
from repdesk.events.types import Event, MediaStoredData
from repdesk.files import service as files
from repdesk.jobs.registry import PermanentError, periodic, task
from repdesk.jobs.service import enqueue

log = logging.getLogger("repdesk.whatsapp")

_EXT = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
    "audio/aac": ".aac",
}


# A job drains the queue for at most this long, then leaves the rest to the next job.
INGEST_BUDGET_SECONDS = 10.0


@task(service.INGEST_JOB, max_attempts=10, backoff_base=1.0, backoff_cap=60.0)
async def ingest(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Turn pending inbound events into conversation state, a batch per transaction, until
    the queue is empty. A batch that fails is retried one event at a time, so one bad event
    cannot hold back the others (it is set aside after a few attempts, with its error)."""
    deadline = time.monotonic() + INGEST_BUDGET_SECONDS
    while time.monotonic() < deadline:
        try:
            taken = await service.process_pending(session)
            await commit(session)
        except Exception:
            await session.rollback()
            log.warning("whatsapp.ingest: a batch failed; processing it one event at a time")
            taken, failed = await _one_by_one(session)
            if failed:  # retry them later, with the job's backoff
                raise RuntimeError(
                    f"{failed} inbound event(s) failed; see whatsapp_events"
                ) from None
        if taken == 0:
            return
    # Out of time with work left: a fresh job continues (the worker may run others first).
    await enqueue(session, service.INGEST_JOB, {})


async def _one_by_one(session: AsyncSession) -> tuple[int, int]:
    ids = await service.pending_ids(session)
    await session.rollback()
    failed = 0
    for event_id in ids:
        try:
            await service.process_event(session, event_id)
            await commit(session)
        except Exception as exc:
            await session.rollback()
            failed += 1
            if await service.record_event_failure(
                session, event_id, f"{type(exc).__name__}: {exc}"
            ):
                log.error("whatsapp.ingest: event %s set aside after repeated failures", event_id)
            await session.commit()
    return len(ids), failed


@task("whatsapp.ingest_sweep", max_attempts=1)
async def ingest_sweep(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Periodic: pick up events no job is scheduled for (a POST whose commit landed just after
    its batch ran, a crash) and forget processed events after 7 days."""
    if await service.pending_ids(session, limit=1):
        await enqueue(session, service.INGEST_JOB, {})
    await service.prune_events(session, older_than=timedelta(days=7))


periodic("whatsapp.ingest_sweep", every_seconds=get_whatsapp_settings().ingest_sweep_seconds)


@task("whatsapp.download_media", max_attempts=6, backoff_base=5.0, backoff_cap=600.0)
async def download_media(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Fetch an inbound media file through the Graph media endpoint and keep it in storage.

    Then emit ``message.media_stored`` (durable): the transcription consumer listens for voice
    notes (whose AI reply waits for it). Safe to run twice: a message with a ``fileId`` is done.
    """
    message_id = str(payload["messageId"])
    media_id = str(payload["mediaId"])
    message = await session.get(Message, message_id)
    if message is None:
        raise PermanentError(f"message {message_id} no longer exists")
    if (message.content or {}).get("fileId"):
        return
    conn = await service.get_connection(session, message.assistant_id)
    if conn is None:
        raise PermanentError("the WhatsApp connection was removed")
    token = service.access_token(conn)
    await session.commit()
    client = GraphClient(token)
    try:
        info = await client.get_media(media_id)
        data = await client.download(info.url)
    except GraphError as exc:
        if exc.retryable or exc.http_status == 404:  # URLs expire after 5 minutes: ask again
            raise
        raise PermanentError(f"media {media_id} could not be downloaded: {exc}") from exc
    message = await session.get(Message, message_id)
    assistant = await session.get(Assistant, message.assistant_id) if message else None
    if message is None or assistant is None:
        raise PermanentError(f"message {message_id} no longer exists")
    mime = info.mime_type or (message.content or {}).get("mimeType") or "application/octet-stream"
    base_mime = mime.split(";")[0].strip()
    filename = (message.content or {}).get(
        "filename"
    ) or f"{message.type}-{media_id}{_EXT.get(base_mime, '')}"
    stored = await files.save(
        session,
        workspace_id=assistant.workspace_id,
        data=data,
        mime_type=base_mime,
        filename=str(filename),
        assistant_id=assistant.id,
        purpose="whatsapp_media",
    )
    await conversations.update_content(session, message, {"fileId": stored.id, "size": stored.size})
    await emit(
        session,
        Event.MESSAGE_MEDIA_STORED,
        MediaStoredData(
            message_id=message.id,
            file_id=stored.id,
            mime_type=base_mime,
            type=message.type,
            conversation_id=message.conversation_id,
        ),
        workspace_id=assistant.workspace_id,
        assistant_id=assistant.id,
    )


@task("whatsapp.sync_templates", max_attempts=5, backoff_base=30.0)
async def sync_templates(session: AsyncSession, payload: dict[str, Any]) -> None:
    assistant_id = str(payload["assistantId"])
    conn = await service.get_connection(session, assistant_id)
    if conn is None or conn.status != "connected":
        return
    token, waba, conn_id = service.access_token(conn), conn.business_account_id, conn.id
    await session.commit()
    try:
        infos = await GraphClient(token).list_templates(waba)
    except GraphError as exc:
        if exc.code == 190:
            fresh = await service.get_connection(session, assistant_id)
            if fresh is not None and fresh.id == conn_id:
                await service.mark_disconnected(
                    session, fresh, "Meta rejected the access token (code 190)."
                )
            return
        if exc.retryable:
            raise
        raise PermanentError(f"template sync failed: {exc}") from exc
    await service.store_templates(session, assistant_id, infos)


@task("whatsapp.sync_all_templates", max_attempts=1)
async def sync_all_templates(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Periodic: one sync job per connected number (each retried on its own)."""
    for conn in await service.all_connected(session):
        await enqueue(
            session,
            "whatsapp.sync_templates",
            {"assistantId": conn.assistant_id},
            dedupe_key=f"wa-sync-periodic:{conn.assistant_id}",
        )


periodic("whatsapp.sync_all_templates", every_seconds=get_whatsapp_settings().template_sync_seconds)
