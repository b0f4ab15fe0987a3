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


EMOJI_RATES = {"none": 0.0, "some": 0.5, "lots": 1.5}


def merge_questionnaire(profile: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The owner's answers win over what was read from chats."""
    out = dict(profile)
    if answers.get("formality"):
        out["formality"] = answers["formality"]
    if answers.get("emojiUse") in EMOJI_RATES:
        out["emojiRate"] = EMOJI_RATES[answers["emojiUse"]]
        if answers["emojiUse"] == "none":
            out["favouriteEmoji"] = []
    if answers.get("addressCustomersAs"):
        out["addressCustomerAs"] = answers["addressCustomersAs"]
    if answers.get("phrasesToUse"):
        out["phrases"] = list(
            dict.fromkeys([*answers["phrasesToUse"], *(out.get("phrases") or [])])
        )[:20]
    if answers.get("phrasesToAvoid"):
        out["avoidPhrases"] = list(answers["phrasesToAvoid"])[:20]
    if answers.get("languages"):
        out["languages"] = list(answers["languages"])
    if answers.get("greeting"):
        out["greetings"] = [answers["greeting"], *(out.get("greetings") or [])][:3]
    if answers.get("signOff"):
        out["signOffs"] = [answers["signOff"], *(out.get("signOffs") or [])][:3]
    if answers.get("tone"):
        out["tone"] = answers["tone"]
    return out


async def import_chat_export(
    session: AsyncSession,
    *,
    assistant_id: str,
    data: bytes,
    filename: str,
    business_name: str,
) -> tuple[StyleProfile, int, list[str]]:
    """Read an export, derive the style of ``business_name`` and keep customer->business pairs.
    The chat itself is not stored. Returns (profile row, examples added, participants)."""
    from repdesk.kit.errors import ValidationError
    from repdesk.kit.time import isoformat, utcnow
    from repdesk.training import chat_export

    text = chat_export.read_export(data, filename)
    messages = chat_export.parse(text)
    if not messages:
        raise ValidationError(
            "No messages found: export the chat from WhatsApp (Export chat, without media) and "
            "upload the .txt or .zip.",
            code="NO_MESSAGES",
        )
    people = chat_export.participants(messages)
    name = business_name.strip()
    if name not in people:
        raise ValidationError(
            f"businessName must be one of the chat's participants: {', '.join(people[:10])}.",
            extra={"participants": people[:50]},
        )
    derived = chat_export.derive_profile(messages, name)
    pairs = chat_export.examples(messages, name)
    row = await get_profile(session, assistant_id=assistant_id)
    questionnaire = row.questionnaire if row else {}
    existing = list(row.examples) if row else []
    profile = merge_questionnaire(derived, questionnaire or {})
    row = await save_profile(
        session,
        assistant_id=assistant_id,
        profile=profile,
        examples=[*existing, *pairs][-200:],
    )
    row.sources = [
        *(row.sources or []),
        {
            "filename": filename[:200],
            "messages": len(messages),
            "participants": len(people),
            "business": name,
            "examples": len(pairs),
            "importedAt": isoformat(utcnow()),
        },
    ][-20:]
    await session.flush()
    return row, len(pairs), people


async def save_questionnaire(
    session: AsyncSession, *, assistant_id: str, answers: dict[str, Any], edited_by: str | None
) -> StyleProfile:
    row = await get_profile(session, assistant_id=assistant_id)
    profile = merge_questionnaire(dict(row.profile) if row else {}, answers)
    return await save_profile(
        session,
        assistant_id=assistant_id,
        profile=profile,
        questionnaire=answers,
        edited_by=edited_by,
    )
