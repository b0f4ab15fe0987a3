"""Pure functions: the WhatsApp formatter, body splitting, send bodies, and the parser."""

from __future__ import annotations

import pytest

from repdesk.channels.base import OutboundMedia, OutboundMessage
from repdesk.channels.whatsapp.client import split_text
from repdesk.channels.whatsapp.formatter import to_whatsapp
from repdesk.channels.whatsapp.parser import PayloadError, parse
from repdesk.channels.whatsapp.sender import bodies_for
from tests.fakes.graph import validate_send


@pytest.mark.parametrize(
    ("markdown", "whatsapp"),
    [
        ("**Bold** and __bold__", "*Bold* and *bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("## Opening hours", "*Opening hours*"),
        ("- Shirts\n- Caps", "• Shirts\n• Caps"),
        ("1. First\n2. Second", "1. First\n2. Second"),
        ("See [our shop](https://shop.test/a?b=1)", "See our shop (https://shop.test/a?b=1)"),
        ("| Item | Price |\n|---|---:|\n| Shirt | ₦5,000 |", "Item: Shirt · Price: ₦5,000"),
        ("~~old~~ new, `code`", "~old~ new, code"),
        ("2 * 3 * 4 and snake_case_name", "2 * 3 * 4 and snake_case_name"),
    ],
)
def test_formatter_speaks_whatsapp(markdown: str, whatsapp: str) -> None:
    assert to_whatsapp(markdown) == whatsapp


def test_long_text_is_split_within_metas_limit() -> None:
    text = ("word " * 2000).strip()
    parts = split_text(text)
    assert len(parts) == 3 and all(0 < len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text
    bodies = bodies_for(
        "+2348031234567", OutboundMessage(type="text", text=text, reply_to="wamid.X")
    )
    assert (
        len(bodies) == 3
        and bodies[0]["context"] == {"message_id": "wamid.X"}
        and "context" not in bodies[1]
    )
    assert all(validate_send(b) is None for b in bodies)


def test_send_bodies_match_metas_format() -> None:
    link = bodies_for("+2348031234567", OutboundMessage(type="text", text="see https://x.test"))[0]
    assert link == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+2348031234567",
        "type": "text",
        "text": {"body": "see https://x.test", "preview_url": True},
    }
    img = bodies_for(
        "+2348031234567",
        OutboundMessage(
            type="image", media=OutboundMedia(link="https://x.test/a.jpg", caption="**New**")
        ),
    )[0]
    assert img["image"] == {"link": "https://x.test/a.jpg", "caption": "*New*"}
    doc = bodies_for(
        "+2348031234567",
        OutboundMessage(type="document", media=OutboundMedia(id="1234", filename="invoice.pdf")),
        assistant_text=False,
    )[0]
    assert doc["document"] == {"id": "1234", "filename": "invoice.pdf"}
    assert validate_send(img) is None and validate_send(doc) is None


def test_parser_rejects_non_objects_and_ignores_unknown_fields() -> None:
    with pytest.raises(PayloadError):
        parse([1, 2])
    parsed = parse(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "metadata": {"phone_number_id": "9"},
                                "new_thing": {"x": 1},
                                "messages": [
                                    {
                                        "from": "15551234567",
                                        "id": "wamid.A",
                                        "timestamp": "1700000000",
                                        "type": "text",
                                        "text": {"body": "hi"},
                                        "identity_key_hash": "x",
                                    },
                                    {"id": "wamid.no-sender"},
                                ],
                            },
                        },
                        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}},
                    ],
                }
            ],
        }
    )
    assert [(m.wamid, m.sender, m.text) for m in parsed.messages] == [
        ("wamid.A", "+15551234567", "hi")
    ]
    assert parsed.messages[0].timestamp is not None and parsed.messages[0].timestamp.year == 2023
