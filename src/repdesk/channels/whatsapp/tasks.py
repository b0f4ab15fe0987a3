"""Background work: inbound media download into repdesk.files, template sync (on connect and
periodically). Webhook events are drained by the inbound intake (``inbound.ingest``) through
:func:`repdesk.channels.whatsapp.inbound.handle`."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp import service, templates
from repdesk.channels.whatsapp.client import GraphClient, GraphError
from repdesk.channels.whatsapp.config import get_whatsapp_settings
from repdesk.channels.whatsapp.models import ConnectionStatus
from repdesk.channels.whatsapp.schemas import (
    DownloadMediaJob,
    SyncAllTemplatesJob,
    SyncTemplatesJob,
)
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


@task(DownloadMediaJob, max_attempts=6, backoff_base=5.0, backoff_cap=600.0)
async def download_media(session: AsyncSession, job: DownloadMediaJob) -> None:
    """Fetch an inbound media file through the Graph media endpoint and keep it in storage.

    Then emit ``message.media_stored`` (durable): the transcription consumer listens for voice
    notes (whose AI reply waits for it). Safe to run twice: a message with a ``fileId`` is done.
    """
    message_id, media_id = job.message_id, job.media_id
    message = await session.get(Message, message_id)
    if message is None:
        raise PermanentError(f"message {message_id} no longer exists")
    if (message.content or {}).get("fileId"):
        return
    conn = await service.get_connection(session, message.assistant_id)
    if conn is None:
        raise PermanentError("the WhatsApp connection was removed")
    token = service.access_token(conn)
    await commit(session)  # no transaction is held over the Graph call
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


@task(SyncTemplatesJob, max_attempts=5, backoff_base=30.0)
async def sync_templates(session: AsyncSession, job: SyncTemplatesJob) -> None:
    assistant_id = job.assistant_id
    conn = await service.get_connection(session, assistant_id)
    if conn is None or conn.status != ConnectionStatus.CONNECTED:
        return
    token, waba, conn_id = service.access_token(conn), conn.business_account_id, conn.id
    await commit(session)  # no transaction is held over the Graph call
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
    await templates.store_templates(session, assistant_id, infos)


@task(SyncAllTemplatesJob, max_attempts=1)
async def sync_all_templates(session: AsyncSession, job: SyncAllTemplatesJob) -> None:
    """Periodic: one sync job per connected number (each retried on its own)."""
    for conn in await service.all_connected(session):
        await enqueue(
            session,
            SyncTemplatesJob(assistant_id=conn.assistant_id),
            dedupe_key=f"wa-sync-periodic:{conn.assistant_id}",
        )


periodic(SyncAllTemplatesJob, every_seconds=get_whatsapp_settings().template_sync_seconds)
