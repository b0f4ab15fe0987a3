from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.assistants.models import Assistant
from repdesk.config import get_settings
from repdesk.kit.errors import AppError, NotFound, ValidationError
from repdesk.kit.pagination import paginate

PLATFORMS = ("whatsapp", "widget")
PURPOSES = ("sales", "support", "leads")

# Domains that keep data outside the assistant's foreign-key cascade (files on disk, search
# indexes, caches) register a cleanup here; delete() calls each before removing the row.
DeleteHook = Callable[[AsyncSession, Assistant], Awaitable[None]]
_DELETE_HOOKS: list[DeleteHook] = []


def on_delete(hook: DeleteHook) -> DeleteHook:
    _DELETE_HOOKS.append(hook)
    return hook


class AssistantLimitReached(AppError):
    status = 400
    code = "ASSISTANT_LIMIT_REACHED"


async def count(session: AsyncSession, workspace_id: str) -> int:
    stmt = select(func.count()).select_from(Assistant).where(Assistant.workspace_id == workspace_id)
    return int(await session.scalar(stmt) or 0)


async def create(
    session: AsyncSession,
    *,
    workspace_id: str,
    name: str,
    platform: str,
    purpose: str | None = None,
) -> Assistant:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("name: must be 1 to 120 characters")
    if platform not in PLATFORMS:
        raise ValidationError("platform: must be whatsapp or widget")
    if purpose is not None and purpose not in PURPOSES:
        raise ValidationError("purpose: must be sales, support or leads")
    limit = get_settings().max_assistants
    if await count(session, workspace_id) >= limit:
        raise AssistantLimitReached(
            f"A workspace can have up to {limit} assistants. Delete one to create another."
        )
    assistant = Assistant(
        workspace_id=workspace_id, name=name, platform=platform, purpose=purpose, settings={}
    )
    session.add(assistant)
    await session.flush()
    return assistant


async def get(session: AsyncSession, *, workspace_id: str, assistant_id: str) -> Assistant | None:
    return await session.scalar(
        select(Assistant).where(
            Assistant.id == assistant_id, Assistant.workspace_id == workspace_id
        )
    )


async def get_or_404(session: AsyncSession, *, workspace_id: str, assistant_id: str) -> Assistant:
    assistant = await get(session, workspace_id=workspace_id, assistant_id=assistant_id)
    if assistant is None:
        raise NotFound("Assistant not found.")
    return assistant


class _OfAnAssistant(Protocol):
    id: Any
    assistant_id: Any


M = TypeVar("M", bound=_OfAnAssistant)


async def get_in_workspace(
    session: AsyncSession, model: type[M], row_id: str, *, workspace_id: str, missing: str
) -> M:
    """The ``model`` row (anything that belongs to an assistant) with this id, when its
    assistant belongs to the workspace; 404 with ``missing`` otherwise: another workspace's
    row does not exist here."""
    row = await session.scalar(
        select(model)
        .join(Assistant, Assistant.id == model.assistant_id)
        .where(model.id == row_id, Assistant.workspace_id == workspace_id)
    )
    if row is None:
        raise NotFound(missing)
    return row


async def get_by_id(session: AsyncSession, assistant_id: str) -> Assistant | None:
    """Unscoped lookup, for jobs and channel webhooks that carry only the assistant id."""
    return await session.get(Assistant, assistant_id)


async def list_page(
    session: AsyncSession, *, workspace_id: str, limit: int | None, cursor: str | None
) -> tuple[list[Assistant], bool, str | None]:
    stmt = select(Assistant).where(Assistant.workspace_id == workspace_id)
    rows, has_more, nxt = await paginate(
        session, stmt, id_column=Assistant.id, limit=limit, cursor=cursor
    )
    return list(rows), has_more, nxt


async def list_all(session: AsyncSession, *, workspace_id: str) -> list[Assistant]:
    rows = await session.scalars(
        select(Assistant).where(Assistant.workspace_id == workspace_id).order_by(Assistant.id)
    )
    return list(rows)


async def update(
    session: AsyncSession, assistant: Assistant, *, name: str | None = None, purpose: Any = ...
) -> Assistant:
    if name is not None:
        name = name.strip()
        if not name or len(name) > 120:
            raise ValidationError("name: must be 1 to 120 characters")
        assistant.name = name
    if purpose is not ...:
        if purpose is not None and purpose not in PURPOSES:
            raise ValidationError("purpose: must be sales, support or leads")
        assistant.purpose = purpose
    await session.flush()
    return assistant


async def update_settings(
    session: AsyncSession, assistant: Assistant, section: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Replace one named section of the assistant's settings JSON (e.g. ``widget``)."""
    settings = dict(assistant.settings or {})
    settings[section] = values
    assistant.settings = settings
    await session.flush()
    return values


async def delete_assistant(session: AsyncSession, assistant: Assistant) -> None:
    """Remove the assistant and everything it owns (foreign keys cascade; hooks do the rest)."""
    for hook in _DELETE_HOOKS:
        await hook(session, assistant)
    await session.execute(
        delete(Assistant)
        .where(Assistant.id == assistant.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(assistant)
