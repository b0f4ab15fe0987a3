"""Style profiles: the only writer of ``style_profiles``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.training.models import StyleProfile


async def get_profile(session: AsyncSession, *, assistant_id: str) -> StyleProfile | None:
    return await session.scalar(
        select(StyleProfile).where(StyleProfile.assistant_id == assistant_id)
    )


async def save_profile(
    session: AsyncSession,
    *,
    assistant_id: str,
    profile: dict[str, Any] | None = None,
    questionnaire: dict[str, Any] | None = None,
    examples: list[dict[str, Any]] | None = None,
    edited_by: str | None = None,
) -> StyleProfile:
    row = await get_profile(session, assistant_id=assistant_id)
    if row is None:
        row = StyleProfile(
            assistant_id=assistant_id, profile={}, questionnaire={}, examples=[], sources=[]
        )
        session.add(row)
    if profile is not None:
        row.profile = profile
    if questionnaire is not None:
        row.questionnaire = questionnaire
    if examples is not None:
        row.examples = examples
    if edited_by:
        row.edited_by_owner = edited_by
    await session.flush()
    return row
