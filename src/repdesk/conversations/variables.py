"""A template's variables mapped to values for one recipient, inside the one send path.

Every caller that sends a template (the inbox, broadcasts, schedules, workflows,
``/v1/messages/send``) may say, for each numbered variable, either a fixed value or a field
of the recipient's contact with a fallback::

    {"1": {"field": "name", "fallback": "there"}, "2": {"value": "20%"}, "header": {"value": "Hi"}}

``"1"``, ``"2"`` … are the body's ``{{1}}``, ``{{2}}`` …; ``"header"`` is the text header's one
variable. :func:`resolve` turns them into Meta's component parameters for the contact the
message goes to. A field the contact lacks takes its fallback; with no fallback either, the send
is refused (``VALIDATION_ERROR`` naming the variable) rather than sending an empty value, which
Meta refuses anyway (error 132000) after the message is charged.

Fields: ``name``, ``firstName``, ``phone``, ``email``, ``lastOrderNumber``, ``lastOrderTotal``,
``lastOrderDate``, and any custom attribute by its key (or ``attributes.<key>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.contacts.models import Contact
from repdesk.conversations.content import TemplateContent, TemplateVariable
from repdesk.kit.errors import ValidationError
from repdesk.kit.money import format_money

CONTACT_FIELDS = ("name", "firstName", "phone", "email")
ORDER_FIELDS = ("lastOrderNumber", "lastOrderTotal", "lastOrderDate")


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value.day} {value:%b %Y}"
    return str(value).strip() or None


def _contact_field(contact: Contact | None, field: str, order: Mapping[str, str]) -> str | None:
    if contact is None:
        return None
    if field == "name":
        return _text(contact.name)
    if field == "firstName":
        name = _text(contact.name)
        return name.split()[0] if name else None
    if field == "phone":
        return _text(contact.phone)
    if field == "email":
        return _text(contact.email)
    if field in ORDER_FIELDS:
        return order.get(field)
    key = field.removeprefix("attributes.")
    return _text((contact.attributes or {}).get(key))


async def _last_order(session: AsyncSession, contact: Contact | None) -> dict[str, str]:
    """The contact's last order that is not cancelled, as template values (one query, made
    only when a variable asks for it)."""
    from repdesk.orders.models import Order, OrderStatus

    if contact is None:
        return {}
    order = await session.scalar(
        select(Order)
        .where(Order.contact_id == contact.id, Order.status != OrderStatus.CANCELLED)
        .order_by(Order.created_at.desc())
        .limit(1)
    )
    if order is None:
        return {}
    return {
        "lastOrderNumber": f"#{order.number}",
        "lastOrderTotal": format_money(order.total, order.currency),
        "lastOrderDate": _text(order.created_at) or "",
    }


def _value(
    name: str, variable: TemplateVariable, contact: Contact | None, order: Mapping[str, str]
) -> str:
    if variable.value is not None:
        return variable.value
    assert variable.field is not None
    found = _contact_field(contact, variable.field, order)
    if found is not None:
        return found
    if variable.fallback is not None:
        return variable.fallback
    raise ValidationError(
        f"template.variables.{name}: this contact has no {variable.field} and the variable "
        "has no fallback."
    )


async def resolve(
    session: AsyncSession, template: TemplateContent, contact: Contact | None
) -> list[dict[str, Any]]:
    """The template's components with its ``variables`` filled in for ``contact``."""
    variables = template.variables or {}
    order: dict[str, str] = {}
    if any(v.field in ORDER_FIELDS for v in variables.values()):
        order = await _last_order(session, contact)
    components = [dict(c) for c in template.components]
    header = variables.get("header")
    if header is not None:
        components.append(
            {
                "type": "header",
                "parameters": [{"type": "text", "text": _value("header", header, contact, order)}],
            }
        )
    numbered = sorted((int(k), v) for k, v in variables.items() if k != "header")
    if numbered:
        components.append(
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": _value(str(n), v, contact, order)} for n, v in numbered
                ],
            }
        )
    return components
