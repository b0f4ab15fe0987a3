"""Meta's template rules, one component and one refusal at a time (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from repdesk.channels.whatsapp.template_rules import (
    TemplateInvalid,
    check_template,
    header_format,
    variables,
)


def body(text: str = "Hi {{1}}, your order {{2}} ships today.", *examples: str) -> dict[str, Any]:
    comp: dict[str, Any] = {"type": "BODY", "text": text}
    if examples:
        comp["example"] = {"body_text": [list(examples)]}
    return comp


def tpl(*components: dict[str, Any], **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "order_shipped",
        "language": "en_US",
        "category": "UTILITY",
        "components": list(components) or [body("Hi {{1}}, order {{2}} ships.", "Ada", "A-12")],
    }
    data.update(over)
    return data


def refused(data: Any) -> TemplateInvalid:
    with pytest.raises(TemplateInvalid) as info:
        check_template(data)
    assert info.value.message.startswith(info.value.field + ":")
    assert info.value.body()["field"] == info.value.field
    return info.value


# -- accepted shapes ---------------------------------------------------------------------------


def test_a_full_marketing_template_is_normalised() -> None:
    out = check_template(
        tpl(
            {"type": "header", "format": "image", "example": {"header_handle": ["4::aGFu"]}},
            body("Hi {{1}}, {{2}} off today only.", "Ada", "20%"),
            {"type": "footer", "text": "Reply STOP to opt out"},
            {
                "type": "buttons",
                "buttons": [
                    {"type": "quick_reply", "text": "Yes please"},
                    {"type": "QUICK_REPLY", "text": "Not now"},
                    {
                        "type": "URL",
                        "text": "Shop now",
                        "url": "https://shop.example/sale/{{1}}",
                        "example": ["https://shop.example/sale/spring"],
                    },
                    {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+2348031234567"},
                ],
                "ignored": "key",
            },
            category="marketing",
        )
    )
    assert out["category"] == "MARKETING"
    assert [c["type"] for c in out["components"]] == ["HEADER", "BODY", "FOOTER", "BUTTONS"]
    assert out["components"][0] == {
        "type": "HEADER",
        "format": "IMAGE",
        "example": {"header_handle": ["4::aGFu"]},
    }
    assert out["components"][1]["example"] == {"body_text": [["Ada", "20%"]]}
    buttons = out["components"][3]["buttons"]
    assert buttons[0] == {"type": "QUICK_REPLY", "text": "Yes please"}
    assert buttons[2]["example"] == ["https://shop.example/sale/spring"]
    assert "ignored" not in out["components"][3]
    assert header_format(out["components"]) == "IMAGE"


def test_text_header_with_one_variable_and_its_example() -> None:
    out = check_template(
        tpl(
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Hello {{1}}",
                "example": {"header_text": ["Ada"]},
            },
            body("Thanks for shopping."),
        )
    )
    assert out["components"][0]["example"] == {"header_text": ["Ada"]}
    assert out["components"][1] == {"type": "BODY", "text": "Thanks for shopping."}
    assert header_format(out["components"]) == "TEXT"


def test_a_body_without_variables_needs_no_example_and_a_url_without_one_neither() -> None:
    out = check_template(
        tpl(
            body("Our shop is open again."),
            {
                "type": "BUTTONS",
                "buttons": [{"type": "URL", "text": "Visit", "url": "https://shop.example"}],
            },
        )
    )
    assert out["components"][1]["buttons"][0] == {
        "type": "URL",
        "text": "Visit",
        "url": "https://shop.example",
    }
    assert header_format(out["components"]) is None


def test_an_authentication_template_with_copy_code() -> None:
    out = check_template(
        tpl(
            {"type": "BODY", "add_security_recommendation": True},
            {"type": "FOOTER", "code_expiration_minutes": 10},
            {
                "type": "BUTTONS",
                "buttons": [{"type": "OTP", "otp_type": "copy_code", "text": "Copy code"}],
            },
            category="AUTHENTICATION",
            name="login_code",
        )
    )
    assert out["components"] == [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {
            "type": "BUTTONS",
            "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}],
        },
    ]


def test_variables_may_repeat_once_introduced() -> None:
    assert variables("a {{1}} b {{2}} c {{1}} d", "body.text") == [1, 2, 1]
    assert variables("no variables", "body.text") == []


# -- refusals, each naming its field -----------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "Order Shipped"}, "name", "lowercase"),
        ({"name": "order-shipped"}, "name", "underscores"),
        ({"name": "a" * 513}, "name", "512"),
        ({"language": "english"}, "language", "en_US"),
        ({"category": "PROMOTION"}, "category", "MARKETING"),
        ({"category": None}, "category", "UTILITY"),
        ({"components": "BODY"}, "components", "list"),
        ({"components": []}, "body", "required"),
    ],
)
def test_top_level_refusals(over: dict[str, Any], field: str, words: str) -> None:
    err = refused(tpl(**over))
    assert err.field == field and words in err.message


def test_not_an_object() -> None:
    assert refused(["x"]).field == "template"


@pytest.mark.parametrize(
    ("comp", "field", "words"),
    [
        (body(""), "body.text", "required"),
        (body("x" * 1025), "body.text", "1024"),
        (body("Hi {{name}}, welcome"), "body.text", "numbered"),
        (body("Hi {{ 1 }}, welcome"), "body.text", "numbered"),
        (body("Hi {{2}}, welcome", "a"), "body.text", "{{1}} comes before {{2}}"),
        (body("Hi {{1}} and {{3}} too", "a", "b", "c"), "body.text", "{{2}} comes before {{3}}"),
        (body("Hi {{1}}{{2}} there", "a", "b"), "body.text", "text between"),
        (body("Hi {{1}} {{2}} there", "a", "b"), "body.text", "text between"),
        (body("{{1}}, welcome", "Ada"), "body.text", "start or end"),
        (body("Welcome, {{1}}", "Ada"), "body.text", "start or end"),
        (body("Hi {{1}}, order {{2}} ships."), "body.example.body_text", "2 example values"),
        (body("Hi {{1}}, order {{2}} ships.", "Ada"), "body.example.body_text", "2 example values"),
        (body("Hi {{1}}, order {{2}} ships.", "Ada", " "), "body.example.body_text[1]", "required"),
        (body("Hi {{1}}, ok.", "x" * 201), "body.example.body_text[0]", "200"),
        ({"type": "BODY", "text": 5}, "body.text", "text"),
    ],
)
def test_body_refusals(comp: dict[str, Any], field: str, words: str) -> None:
    err = refused(tpl(comp))
    assert err.field == field and words in err.message, err.message


@pytest.mark.parametrize(
    ("header", "field", "words"),
    [
        ({"format": "TEXT", "text": ""}, "header.text", "required"),
        ({"format": "TEXT", "text": "x" * 61}, "header.text", "60"),
        (
            {"format": "TEXT", "text": "Hi {{1}} {{2}}", "example": {"header_text": ["a", "b"]}},
            "header.text",
            "text between",
        ),
        (
            {"format": "TEXT", "text": "Hi {{1}}, {{2}}", "example": {"header_text": ["a", "b"]}},
            "header.text",
            "at most one variable",
        ),
        ({"format": "TEXT", "text": "Hi {{1}}"}, "header.example.header_text", "1 example value"),
        ({"format": "IMAGE"}, "header.example.header_handle", "image header"),
        (
            {"format": "VIDEO", "example": {"header_handle": [""]}},
            "header.example.header_handle",
            "video",
        ),
        (
            {"format": "DOCUMENT", "example": {"header_handle": ["a", "b"]}},
            "header.example.header_handle",
            "document",
        ),
        ({"format": "LOCATION"}, "header.format", "TEXT, IMAGE"),
        ({}, "header.format", "TEXT, IMAGE"),
    ],
)
def test_header_refusals(header: dict[str, Any], field: str, words: str) -> None:
    err = refused(tpl({"type": "HEADER", **header}, body("Thanks.")))
    assert err.field == field and words in err.message, err.message


@pytest.mark.parametrize(
    ("footer", "field", "words"),
    [
        ({"text": ""}, "footer.text", "required"),
        ({"text": "x" * 61}, "footer.text", "60"),
        ({"text": "Ref {{1}}"}, "footer.text", "variables"),
    ],
)
def test_footer_refusals(footer: dict[str, Any], field: str, words: str) -> None:
    err = refused(tpl(body("Thanks."), {"type": "FOOTER", **footer}))
    assert err.field == field and words in err.message, err.message


def qr(text: str) -> dict[str, Any]:
    return {"type": "QUICK_REPLY", "text": text}


URL = {"type": "URL", "text": "Open", "url": "https://shop.example/a"}
PHONE = {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+2348031234567"}


@pytest.mark.parametrize(
    ("buttons", "field", "words"),
    [
        ([], "buttons", "at least one"),
        ([qr(f"Option {i}") for i in range(11)], "buttons", "at most 10"),
        ([qr("")], "buttons[0].text", "required"),
        ([qr("x" * 26)], "buttons[0].text", "25"),
        ([qr("Hi {{1}}")], "buttons[0].text", "variables"),
        ([qr("Yes"), qr("Yes")], "buttons", "same text"),
        ([qr("Yes"), URL, qr("No")], "buttons", "next to each other"),
        (["yes"], "buttons[0]", "object"),
        ([{"type": "FLOW", "text": "Go"}], "buttons[0].type", "QUICK_REPLY, URL"),
        ([{**URL, "url": ""}], "buttons[0].url", "required"),
        ([{**URL, "url": "shop.example/a"}], "buttons[0].url", "https://"),
        ([{**URL, "url": "https://shop.example/" + "a" * 2000}], "buttons[0].url", "2000"),
        ([{**URL, "url": "https://shop.example/{{1}}/x"}], "buttons[0].url", "only at its end"),
        ([{**URL, "url": "https://shop.example/{{1}}{{2}}"}], "buttons[0].url", "text between"),
        ([{**URL, "url": "https://shop.example/{{1}}"}], "buttons[0].example", "required"),
        (
            [{**URL, "url": "https://shop.example/{{1}}", "example": ["spring"]}],
            "buttons[0].example",
            "full example address",
        ),
        (
            [URL, {**URL, "text": "Two"}, {**URL, "text": "Three"}],
            "buttons",
            "at most 2 website",
        ),
        ([PHONE, {**PHONE, "text": "Again"}], "buttons", "at most one phone"),
        ([{**PHONE, "phone_number": "call me"}], "buttons[0].phone_number", "country code"),
        ([{**PHONE, "phone_number": "+" + "1" * 21}], "buttons[0].phone_number", "20"),
        ([{"type": "OTP", "otp_type": "COPY_CODE"}], "buttons[0].type", "authentication"),
    ],
)
def test_button_refusals(buttons: list[Any], field: str, words: str) -> None:
    err = refused(tpl(body("Thanks."), {"type": "BUTTONS", "buttons": buttons}))
    assert err.field == field and words in err.message, err.message


def auth(*components: dict[str, Any]) -> dict[str, Any]:
    return tpl(*components, category="AUTHENTICATION")


OTP = {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}


@pytest.mark.parametrize(
    ("components", "field", "words"),
    [
        ([{"type": "BODY", "text": "Your code"}, OTP], "body.text", "fixed text"),
        (
            [{"type": "HEADER", "format": "TEXT", "text": "Hi"}, {"type": "BODY"}, OTP],
            "header",
            "no header",
        ),
        ([{"type": "BODY"}], "buttons", "copy-code"),
        (
            [{"type": "BODY"}, {"type": "BUTTONS", "buttons": [qr("Yes")]}],
            "buttons[0].type",
            "only the copy-code",
        ),
        (
            [
                {"type": "BODY"},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "ONE_TAP"}]},
            ],
            "buttons[0].otp_type",
            "COPY_CODE",
        ),
        (
            [
                {"type": "BODY"},
                {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}] * 2},
            ],
            "buttons",
            "one copy-code",
        ),
        (
            [{"type": "BODY"}, {"type": "FOOTER", "text": "Hi"}, OTP],
            "footer.code_expiration_minutes",
            "expiry",
        ),
        (
            [{"type": "BODY"}, {"type": "FOOTER", "code_expiration_minutes": 91}, OTP],
            "footer.code_expiration_minutes",
            "1 to 90",
        ),
    ],
)
def test_authentication_refusals(components: list[dict[str, Any]], field: str, words: str) -> None:
    err = refused(auth(*components))
    assert err.field == field and words in err.message, err.message


@pytest.mark.parametrize(
    ("components", "field"),
    [
        ([body("Thanks."), body("Again.")], "body"),
        ([body("Thanks."), {"type": "CAROUSEL"}], "components[1].type"),
        ([body("Thanks."), "FOOTER"], "components[1]"),
    ],
)
def test_component_list_refusals(components: list[Any], field: str) -> None:
    assert refused(tpl(components=components)).field == field
