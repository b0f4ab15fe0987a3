"""Template variables filled in for each recipient, and the fallback template for a closed
window, inside the one send path (``conversations.send``)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError as ModelError

from repdesk.assistants.models import Assistant
from repdesk.contacts.models import Contact
from repdesk.conversations import service as conversations
from repdesk.conversations.content import MessageContent
from repdesk.db.engine import Database
from repdesk.kit.errors import ValidationError
from tests.conversations.test_send import Shop, ToyChannel, _shop

WELCOME = {"name": "welcome", "language": "en"}


async def _send(db: Database, shop: Shop, body: dict[str, Any]) -> dict[str, Any]:
    async with db.transaction() as s:
        assistant = await s.get(Assistant, shop.assistant.id)
        assert assistant is not None
        sent = await conversations.send(
            s,
            assistant=assistant,
            to=conversations.Recipient(conversation_id=shop.conversation_id),
            content=MessageContent.model_validate(body),
            origin=conversations.Origin.BROADCAST,
        )
        return dict(sent.message.content)


async def _name(db: Database, shop: Shop, name: str | None, **attributes: Any) -> None:
    async with db.transaction() as s:
        contact = await s.get(Contact, shop.contact_id)
        assert contact is not None
        contact.name = name
        contact.attributes = attributes


def _body_values(content: dict[str, Any]) -> list[str]:
    (body,) = [c for c in content["template"]["components"] if c["type"] == "body"]
    return [p["text"] for p in body["parameters"]]


async def test_a_field_takes_the_contacts_value_or_its_fallback(
    db: Database, toy: ToyChannel
) -> None:
    shop = await _shop(db)
    variables = {
        "1": {"field": "firstName", "fallback": "there"},
        "2": {"value": "20%"},
        "3": {"field": "city", "fallback": "your city"},
    }
    body = {"type": "template", "template": {**WELCOME, "variables": variables}}
    await _name(db, shop, "Ada Obi", city="Lagos")
    assert _body_values(await _send(db, shop, body)) == ["Ada", "20%", "Lagos"]
    await _name(db, shop, None)
    assert _body_values(await _send(db, shop, body)) == ["there", "20%", "your city"]


async def test_a_header_variable_and_a_missing_field_without_fallback(
    db: Database, toy: ToyChannel
) -> None:
    shop = await _shop(db)
    await _name(db, shop, None)
    with_header = {"header": {"value": "Sale"}, "1": {"field": "name", "fallback": "friend"}}
    content = await _send(
        db, shop, {"type": "template", "template": {**WELCOME, "variables": with_header}}
    )
    header = [c for c in content["template"]["components"] if c["type"] == "header"]
    assert header == [{"type": "header", "parameters": [{"type": "text", "text": "Sale"}]}]
    no_fallback = {"1": {"field": "email"}}
    with pytest.raises(ValidationError, match="variables.1"):
        await _send(
            db, shop, {"type": "template", "template": {**WELCOME, "variables": no_fallback}}
        )


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"1": {"value": "a"}, "3": {"value": "c"}}, "none missing"),
        ({"x": {"value": "a"}}, "not a variable number"),
        ({"1": {"value": "a", "field": "name"}}, "either a value or a field"),
        ({"1": {}}, "either a value or a field"),
        ({"1": {"value": "a", "fallback": "b"}}, "fallback goes with a field"),
    ],
)
def test_malformed_variables_are_refused_before_anything_is_sent(
    variables: dict[str, Any], says: str
) -> None:
    with pytest.raises(ModelError, match=says):
        MessageContent.model_validate(
            {"type": "template", "template": {**WELCOME, "variables": variables}}
        )


async def test_the_fallback_template_goes_when_the_window_is_closed(
    db: Database, toy: ToyChannel
) -> None:
    toy.requires_service_window = True
    shop = await _shop(db)
    await _name(db, shop, "Chidi")
    fallback = {**WELCOME, "variables": {"1": {"field": "name", "fallback": "there"}}}
    body = {"type": "text", "text": {"body": "Your order is ready"}, "fallbackTemplate": fallback}
    sent = await _send(db, shop, body)
    assert sent["type"] == "template" and _body_values(sent) == ["Chidi"]
    with pytest.raises(conversations.ServiceWindowClosed):
        await _send(db, shop, {"type": "text", "text": {"body": "Your order is ready"}})


async def test_the_free_form_message_goes_when_the_window_is_open(
    db: Database, toy: ToyChannel
) -> None:
    shop = await _shop(db)  # the toy channel has no window by default: always open
    body = {"type": "text", "text": {"body": "Hi"}, "fallbackTemplate": WELCOME}
    assert (await _send(db, shop, body))["type"] == "text"


def test_per_row_values_override_and_keep_the_other_variables() -> None:
    content = MessageContent.model_validate(
        {
            "type": "template",
            "template": {**WELCOME, "variables": {"1": {"field": "name", "fallback": "x"}}},
        }
    ).with_variable_values({"2": "Ikeja"})
    assert content.template is not None and content.template.variables is not None
    assert content.template.variables["2"].value == "Ikeja"
    assert content.template.variables["1"].field == "name"


def test_a_template_cannot_carry_a_fallback_template() -> None:
    with pytest.raises(ModelError, match="fallbackTemplate is for free-form"):
        MessageContent.model_validate(
            {"type": "template", "template": WELCOME, "fallbackTemplate": WELCOME}
        )
