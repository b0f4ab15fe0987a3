"""Per-workspace engine settings: the only writer of ``workspace_ai_settings``. API keys are
stored encrypted with the vault and never returned."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk import vault
from repdesk.ai.config import ai_settings
from repdesk.ai.models import WorkspaceAI
from repdesk.config import get_settings
from repdesk.kit import urlguard
from repdesk.kit.errors import ValidationError

PROVIDERS = ("builtin", "openai", "anthropic")


def ai_reach() -> urlguard.Reach:
    """Where a workspace's own AI endpoint may be: public addresses, unless the operator
    allows private ones (``REPDESK_AI_ALLOW_PRIVATE_URLS``, for a local Ollama or vLLM)."""
    if get_settings().ai_allow_private_urls:
        return urlguard.Reach.PRIVATE
    return urlguard.Reach.PUBLIC


@dataclass
class EffectiveAI:
    provider: str
    base_url: str
    model: str
    has_api_key: bool
    timeout_seconds: int
    source: str  # workspace | operator


async def get(session: AsyncSession, workspace_id: str) -> EffectiveAI:
    row = await session.scalar(select(WorkspaceAI).where(WorkspaceAI.workspace_id == workspace_id))
    if row is not None:
        return EffectiveAI(
            row.provider,
            row.base_url or "",
            row.model or "",
            bool(row.api_key_encrypted),
            row.timeout_seconds,
            "workspace",
        )
    op = ai_settings()
    return EffectiveAI(
        op.provider, op.base_url, op.model, bool(op.api_key), int(op.timeout), "operator"
    )


async def put(
    session: AsyncSession,
    workspace_id: str,
    *,
    provider: str,
    base_url: str | None,
    model: str | None,
    api_key: str | None,
    timeout_seconds: int | None,
) -> EffectiveAI:
    if provider not in PROVIDERS:
        raise ValidationError(f"provider: must be one of {', '.join(PROVIDERS)}")
    base_url = (base_url or "").strip()
    if base_url:
        await urlguard.check_url(base_url, field="baseUrl", reach=ai_reach())
    if provider != "builtin" and not (model or "").strip():
        raise ValidationError("model: required for an LLM provider")
    row = await session.scalar(select(WorkspaceAI).where(WorkspaceAI.workspace_id == workspace_id))
    if row is None:
        row = WorkspaceAI(workspace_id=workspace_id)
        session.add(row)
    row.provider = provider
    row.base_url = base_url or None
    row.model = (model or "").strip() or None
    if api_key is not None:
        row.api_key_encrypted = vault.encrypt(api_key) if api_key else None
    row.timeout_seconds = timeout_seconds or row.timeout_seconds or 20
    await session.flush()
    return await get(session, workspace_id)
