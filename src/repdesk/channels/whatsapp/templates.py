"""WhatsApp message templates: synced from the number's WhatsApp Business Account, submitted
from repdesk (:mod:`authoring` talks to Meta, then records here), kept up to date by Meta's
template webhooks. The only writer of ``whatsapp_templates``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.channels.whatsapp.client import CreatedTemplate, TemplateInfo
from repdesk.channels.whatsapp.models import TemplateStatus, WhatsAppConnection, WhatsAppTemplate
from repdesk.channels.whatsapp.parser import TemplateStatusUpdate
from repdesk.kit.time import utcnow


def _lang_key(language: str) -> str:
    return language.replace("-", "_").lower()


async def list_templates(session: AsyncSession, assistant_id: str) -> list[WhatsAppTemplate]:
    rows = await session.scalars(
        select(WhatsAppTemplate)
        .where(WhatsAppTemplate.assistant_id == assistant_id)
        .order_by(WhatsAppTemplate.name, WhatsAppTemplate.language)
    )
    return list(rows)


async def get_template(
    session: AsyncSession, assistant_id: str, name: str, language: str
) -> WhatsAppTemplate | None:
    """The synced template ``name`` in ``language`` (``en_US`` and ``en-US`` are the same)."""
    rows = await session.scalars(
        select(WhatsAppTemplate).where(
            WhatsAppTemplate.assistant_id == assistant_id, WhatsAppTemplate.name == name
        )
    )
    want = _lang_key(language)
    for row in rows:
        if _lang_key(row.language) == want:
            return row
    return None


async def store_templates(
    session: AsyncSession, assistant_id: str, infos: list[TemplateInfo]
) -> int:
    existing = {
        (_lang_key(t.language), t.name): t for t in await list_templates(session, assistant_id)
    }
    now = utcnow()
    seen = set()
    for info in infos:
        key = (_lang_key(info.language), info.name)
        seen.add(key)
        row = existing.get(key)
        if row is None:
            row = WhatsAppTemplate(
                assistant_id=assistant_id, name=info.name[:512], language=info.language[:15]
            )
            session.add(row)
            existing[key] = row
        row.meta_template_id = info.id[:64] or None
        row.status = info.status[:20] or "UNKNOWN"
        row.category = info.category[:30] or None
        row.components = info.components
        row.rejected_reason = (
            (info.rejected_reason[:300] or None)
            if info.rejected_reason not in ("", "NONE")
            else None
        )
        if row.status != TemplateStatus.REJECTED:
            row.rejection_detail = None
        row.quality = info.quality[:20] or row.quality
        row.synced_at = now
    for key, row in existing.items():
        if key not in seen:  # deleted in WhatsApp Manager
            await session.delete(row)
    await session.flush()
    return len(infos)


async def apply_template_status(
    session: AsyncSession, update: TemplateStatusUpdate, conn: WhatsAppConnection
) -> int:
    """A ``message_template_status_update`` webhook received for ``conn``: update that template
    of its assistant (only: another tenant may claim the same WABA id on its own webhook, and
    the platform webhook stores the update once per connection of the WABA). Returns how many
    rows changed."""
    if update.business_account_id != conn.business_account_id:
        return 0
    changed = 0
    rows = await session.scalars(
        select(WhatsAppTemplate).where(WhatsAppTemplate.assistant_id == conn.assistant_id)
    )
    for row in rows:
        if (update.template_id and row.meta_template_id == update.template_id) or (
            row.name == update.name and _lang_key(row.language) == _lang_key(update.language)
        ):
            if update.event:  # a status update (quality and category updates have none)
                row.status = update.event[:20]
                row.rejected_reason = (
                    update.reason[:300] if update.reason and update.reason != "NONE" else None
                )
                rejected = update.event == TemplateStatus.REJECTED
                row.rejection_detail = (update.detail[:1000] or None) if rejected else None
            if update.category:
                row.category = update.category[:30]
            if update.quality:
                row.quality = update.quality[:20]
            changed += 1
    await session.flush()
    return changed


async def get_in_workspace(
    session: AsyncSession, workspace_id: str, template_id: str
) -> WhatsAppTemplate | None:
    """The template ``template_id`` if one of the workspace's assistants owns it."""
    row: WhatsAppTemplate | None = await session.scalar(
        select(WhatsAppTemplate)
        .join(Assistant, Assistant.id == WhatsAppTemplate.assistant_id)
        .where(WhatsAppTemplate.id == template_id, Assistant.workspace_id == workspace_id)
    )
    return row


async def record_submitted(
    session: AsyncSession, assistant_id: str, template: dict[str, Any], created: CreatedTemplate
) -> WhatsAppTemplate:
    """A template Meta accepted for review (``template`` as it was submitted)."""
    row = WhatsAppTemplate(
        assistant_id=assistant_id,
        name=template["name"],
        language=template["language"],
        meta_template_id=created.id[:64],
        status=(created.status or TemplateStatus.PENDING)[:20],
        category=(created.category or template["category"])[:30],
        components=template["components"],
        submitted_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def record_resubmitted(
    session: AsyncSession, row: WhatsAppTemplate, *, category: str, components: list[Any]
) -> WhatsAppTemplate:
    """An edited template sent back to Meta: under review again."""
    row.category = category[:30]
    row.components = components
    row.status = TemplateStatus.PENDING
    row.rejected_reason = None
    row.rejection_detail = None
    row.submitted_at = utcnow()
    await session.flush()
    return row


async def remove(session: AsyncSession, row: WhatsAppTemplate) -> None:
    await session.delete(row)
    await session.flush()
