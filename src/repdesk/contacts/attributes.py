"""Custom attribute definitions: per assistant, a key of ``contacts.attributes`` with a label
and a type. Values of defined keys are checked against their type wherever they are written
(API, dashboard, import); keys without a definition keep any JSON value (the Developer API has
always accepted free attributes).

Stored forms: text -> string, number -> int or float, date -> ``YYYY-MM-DD``, boolean -> bool,
choice -> one of the definition's choices.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.contacts.models import AttributeDefinition
from repdesk.kit.errors import Conflict, NotFound, ValidationError

TYPES = ("text", "number", "date", "boolean", "choice")
MAX_DEFINITIONS = 100
MAX_CHOICES = 100
# Reserved: the contact's own fields (an import column of that name maps to the field).
RESERVED = frozenset({"phone", "name", "email", "tags", "language", "id"})
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


async def list_for(session: AsyncSession, assistant_id: str) -> list[AttributeDefinition]:
    rows = await session.scalars(
        select(AttributeDefinition)
        .where(AttributeDefinition.assistant_id == assistant_id)
        .order_by(AttributeDefinition.key)
    )
    return list(rows)


async def by_key(session: AsyncSession, assistant_id: str) -> dict[str, AttributeDefinition]:
    return {d.key: d for d in await list_for(session, assistant_id)}


async def create(
    session: AsyncSession,
    *,
    assistant_id: str,
    key: str,
    label: str,
    type: str,
    choices: list[str] | None = None,
) -> AttributeDefinition:
    key = (key or "").strip()
    if not _KEY.match(key):
        raise ValidationError(
            "key: 1 to 64 characters, lowercase letters, digits and _, starting with a letter."
        )
    if key in RESERVED:
        raise ValidationError(f"key: {key!r} is a contact field, not a custom attribute.")
    label = (label or "").strip()
    if not label or len(label) > 120:
        raise ValidationError("label: 1 to 120 characters.")
    if type not in TYPES:
        raise ValidationError(f"type must be one of {', '.join(TYPES)}.")
    clean: list[str] = []
    if type == "choice":
        for choice in choices or []:
            value = choice.strip() if isinstance(choice, str) else ""
            if not value or len(value) > 100:
                raise ValidationError("choices: each choice must be 1 to 100 characters.")
            if value not in clean:
                clean.append(value)
        if not clean or len(clean) > MAX_CHOICES:
            raise ValidationError(f"choices: a choice attribute needs 1 to {MAX_CHOICES} choices.")
    elif choices:
        raise ValidationError("choices: only a choice attribute has choices.")
    if len(await list_for(session, assistant_id)) >= MAX_DEFINITIONS:
        raise ValidationError(f"At most {MAX_DEFINITIONS} custom attributes per assistant.")
    definition = AttributeDefinition(
        assistant_id=assistant_id, key=key, label=label, type=type, choices=clean
    )
    try:
        async with session.begin_nested():
            session.add(definition)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An attribute with key {key!r} already exists.") from exc
    return definition


async def delete(session: AsyncSession, *, assistant_id: str, key: str) -> None:
    definition = await session.scalar(
        select(AttributeDefinition).where(
            AttributeDefinition.assistant_id == assistant_id, AttributeDefinition.key == key
        )
    )
    if definition is None:
        raise NotFound("Attribute not found.")
    await session.delete(definition)
    await session.flush()


def coerce(definition: AttributeDefinition, value: Any) -> Any:
    """``value`` in the stored form of the definition's type (strings as typed in a CSV or a
    form are parsed); raises ValidationError naming the key otherwise. None clears."""
    if value is None or value == "":
        return None
    key, kind = definition.key, definition.type
    if kind == "text":
        if isinstance(value, (dict, list)):
            raise ValidationError(f"attributes.{key}: must be text.")
        text = str(value)
        if len(text) > 1000:
            raise ValidationError(f"attributes.{key}: at most 1000 characters.")
        return text
    if kind == "number":
        if isinstance(value, bool):
            raise ValidationError(f"attributes.{key}: must be a number.")
        if isinstance(value, (int, float)):
            return value
        try:
            number = float(str(value).replace(",", "").strip())
        except ValueError:
            raise ValidationError(f"attributes.{key}: must be a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValidationError(f"attributes.{key}: must be a number.")
        return int(number) if number.is_integer() else number
    if kind == "date":
        try:
            return date.fromisoformat(str(value).strip()[:10]).isoformat()
        except ValueError:
            raise ValidationError(f"attributes.{key}: must be a date (YYYY-MM-DD).") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValidationError(f"attributes.{key}: must be true or false.")
    # choice
    if not isinstance(value, str) or value not in definition.choices:
        raise ValidationError(f"attributes.{key}: must be one of {', '.join(definition.choices)}.")
    return value


def apply(definitions: dict[str, AttributeDefinition], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each defined key coerced (None values dropped)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        clean = coerce(definition, value) if definition is not None else value
        if clean is not None:
            out[key] = clean
    return out


async def check_values(session: AsyncSession, assistant_id: str, values: dict[str, Any]) -> None:
    """Coerce ``values`` in place against the assistant's definitions."""
    if not values:
        return
    definitions = await by_key(session, assistant_id)
    clean = apply(definitions, values)
    values.clear()
    values.update(clean)
