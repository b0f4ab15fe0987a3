"""``ai.reply``: until an engine is installed, automation-on conversations wait for a person.

The message pipeline enqueues this job for every customer message in a conversation whose
automation is on. Without an engine there is nothing honest to say, so the job only records
that the conversation is waiting; it never fakes a reply.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.jobs.registry import task


@task("ai.reply", max_attempts=3)
async def reply(session: AsyncSession, payload: dict[str, Any]) -> None:
    return None
