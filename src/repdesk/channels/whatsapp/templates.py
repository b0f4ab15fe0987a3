"""WhatsApp message templates: synced from the number's WhatsApp Business Account, kept up to
date by Meta's template status webhooks. The only writer of ``whatsapp_templates``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.channels.whatsapp.client import TemplateInfo
from repdesk.channels.whatsapp.models import WhatsAppConnection, WhatsAppTemplate
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
            row.status = update.event[:20]
            row.rejected_reason = (
                update.reason[:300] if update.reason and update.reason != "NONE" else None
            )
            changed += 1
    await session.flush()
    return changed
