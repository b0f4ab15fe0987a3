"""Meta's rules for a message template, checked before it is submitted: pure functions.

A template comes in Meta's own creation shape, ``{"name", "language", "category",
"components": [...]}`` with ``HEADER``, ``BODY``, ``FOOTER`` and ``BUTTONS`` components, and
:func:`check_template` returns it normalised (types upper-cased, unknown keys dropped) or
raises :class:`TemplateInvalid` naming the field at fault (``header.text``,
``buttons[1].url``...). The dashboard's editor (``static/templates.js``) mirrors these checks
so the owner sees them while typing; the server's are the ones that count.

Limits are Meta's published ones for template creation (see ADR 16): body 1,024 characters,
header text and footer 60, button text 25, at most 10 buttons of which at most 2 URL buttons
and 1 phone-number button, URL 2,000 characters, phone number 20.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from repdesk.kit.errors import ValidationError

CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
NAME_MAX = 512
HEADER_MAX = 60
BODY_MAX = 1024
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
BUTTONS_MAX = 10
URL_BUTTONS_MAX = 2
PHONE_BUTTONS_MAX = 1
URL_MAX = 2000
PHONE_MAX = 20
EXAMPLE_MAX = 200
CODE_EXPIRATION_MAX = 90  # minutes, authentication templates' footer

NAME_RE = re.compile(r"^[a-z0-9_]+$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
PHONE_RE = re.compile(r"^\+?[1-9]\d{6,18}$")
# Anything between double braces, to catch {{name}} and {{ 1 }} as well as {{1}}.
PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
VARIABLE_RE = re.compile(r"^[1-9]\d*$")


class TemplateInvalid(ValidationError):
    """A template Meta would refuse; ``field`` says which part (also in the error body)."""

    code = "TEMPLATE_INVALID"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", extra={"field": field})
        self.field = field


def _text(value: Any, field: str, *, max_len: int, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise TemplateInvalid(field, "is required.")
        return ""
    if not isinstance(value, str):
        raise TemplateInvalid(field, "must be text.")
    if required and not value.strip():
        raise TemplateInvalid(field, "is required.")
    if len(value) > max_len:
        raise TemplateInvalid(field, f"must be at most {max_len} characters (it has {len(value)}).")
    return value


def variables(text: str, field: str) -> list[int]:
    """The numbers of ``text``'s variables in order of appearance; refuses anything between
    double braces that is not a positive number, numbers that do not run 1, 2, 3... in the
    order they first appear, and two variables with nothing between them."""
    found: list[int] = []
    for m in PLACEHOLDER_RE.finditer(text):
        inner = m.group(1)
        if not VARIABLE_RE.match(inner):
            raise TemplateInvalid(
                field,
                f"'{{{{{inner}}}}}' is not a variable: use numbered ones, {{{{1}}}}, {{{{2}}}}...",
            )
        found.append(int(inner))
    expected = 1
    for n in found:
        if n == expected:
            expected += 1
        elif n > expected:
            raise TemplateInvalid(
                field,
                f"variables must be numbered in order: "
                f"{{{{{expected}}}}} comes before {{{{{n}}}}}.",
            )
    if re.search(r"\}\}\s*\{\{", text):
        raise TemplateInvalid(field, "two variables must have text between them.")
    return found


def _examples(value: Any, field: str, count: int) -> list[str]:
    if not isinstance(value, list) or len(value) != count:
        raise TemplateInvalid(
            field, f"needs {count} example value{'s' if count != 1 else ''}, one per variable."
        )
    out = []
    for i, v in enumerate(value):
        out.append(_text(v, f"{field}[{i}]", max_len=EXAMPLE_MAX))
    return out


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _header(comp: Mapping[str, Any]) -> dict[str, Any]:
    fmt = str(comp.get("format") or "").upper()
    if fmt == "TEXT":
        text = _text(comp.get("text"), "header.text", max_len=HEADER_MAX)
        found = variables(text, "header.text")
        if len(found) > 1:
            raise TemplateInvalid("header.text", "may have at most one variable, {{1}}.")
        out: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": text}
        if found:
            example = _mapping(comp.get("example"))
            values = _examples(example.get("header_text"), "header.example.header_text", 1)
            out["example"] = {"header_text": values}
        return out
    if fmt in MEDIA_FORMATS:
        example = _mapping(comp.get("example"))
        handles = example.get("header_handle")
        if not isinstance(handles, list) or len(handles) != 1 or not str(handles[0] or "").strip():
            raise TemplateInvalid(
                "header.example.header_handle",
                f"an {fmt.lower()} header needs a sample file uploaded (its header_handle).",
            )
        return {"type": "HEADER", "format": fmt, "example": {"header_handle": [str(handles[0])]}}
    raise TemplateInvalid("header.format", "must be TEXT, IMAGE, VIDEO or DOCUMENT.")


def _body(comp: Mapping[str, Any]) -> dict[str, Any]:
    text = _text(comp.get("text"), "body.text", max_len=BODY_MAX)
    found = variables(text, "body.text")
    out: dict[str, Any] = {"type": "BODY", "text": text}
    if found:
        stripped = text.strip()
        if stripped.startswith("{{") or stripped.endswith("}}"):
            raise TemplateInvalid("body.text", "may not start or end with a variable.")
        example = _mapping(comp.get("example"))
        rows = example.get("body_text")
        if not isinstance(rows, list) or len(rows) != 1:
            rows = [None]
        out["example"] = {"body_text": [_examples(rows[0], "body.example.body_text", max(found))]}
    return out


def _auth_body(comp: Mapping[str, Any]) -> dict[str, Any]:
    if comp.get("text"):
        raise TemplateInvalid(
            "body.text", "authentication templates use Meta's fixed text: leave the body empty."
        )
    out: dict[str, Any] = {"type": "BODY"}
    if comp.get("add_security_recommendation"):
        out["add_security_recommendation"] = True
    return out


def _footer(comp: Mapping[str, Any], category: str) -> dict[str, Any]:
    if category == "AUTHENTICATION":
        minutes = comp.get("code_expiration_minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool):
            raise TemplateInvalid(
                "footer.code_expiration_minutes", "authentication footers give the code's expiry."
            )
        if not 1 <= minutes <= CODE_EXPIRATION_MAX:
            raise TemplateInvalid(
                "footer.code_expiration_minutes", f"must be 1 to {CODE_EXPIRATION_MAX} minutes."
            )
        return {"type": "FOOTER", "code_expiration_minutes": minutes}
    text = _text(comp.get("text"), "footer.text", max_len=FOOTER_MAX)
    if PLACEHOLDER_RE.search(text):
        raise TemplateInvalid("footer.text", "may not contain variables.")
    return {"type": "FOOTER", "text": text}


def _button(b: Any, i: int, category: str) -> dict[str, Any]:
    field = f"buttons[{i}]"
    if not isinstance(b, Mapping):
        raise TemplateInvalid(field, "must be an object.")
    kind = str(b.get("type") or "").upper()
    if category == "AUTHENTICATION":
        if kind != "OTP":
            raise TemplateInvalid(
                f"{field}.type", "authentication templates have only the copy-code button."
            )
    elif kind == "OTP":
        raise TemplateInvalid(
            f"{field}.type", "the copy-code button is for authentication templates."
        )
    if kind == "OTP":
        if str(b.get("otp_type") or "").upper() != "COPY_CODE":
            raise TemplateInvalid(f"{field}.otp_type", "must be COPY_CODE.")
        out: dict[str, Any] = {"type": "OTP", "otp_type": "COPY_CODE"}
        text = _text(b.get("text"), f"{field}.text", max_len=BUTTON_TEXT_MAX, required=False)
        if text:
            out["text"] = text
        return out
    text = _text(b.get("text"), f"{field}.text", max_len=BUTTON_TEXT_MAX)
    if PLACEHOLDER_RE.search(text):
        raise TemplateInvalid(f"{field}.text", "may not contain variables.")
    if kind == "QUICK_REPLY":
        return {"type": "QUICK_REPLY", "text": text}
    if kind == "PHONE_NUMBER":
        phone = _text(b.get("phone_number"), f"{field}.phone_number", max_len=PHONE_MAX)
        if not PHONE_RE.match(phone):
            raise TemplateInvalid(
                f"{field}.phone_number", "must be a phone number with its country code."
            )
        return {"type": "PHONE_NUMBER", "text": text, "phone_number": phone}
    if kind == "URL":
        url = _text(b.get("url"), f"{field}.url", max_len=URL_MAX)
        if not re.match(r"^https?://[^\s/{}]+\.[^\s/{}]+", url):
            raise TemplateInvalid(f"{field}.url", "must be a web address starting https://.")
        found = variables(url, f"{field}.url")
        out = {"type": "URL", "text": text, "url": url}
        if found:
            if len(found) > 1 or not url.endswith("{{1}}"):
                raise TemplateInvalid(
                    f"{field}.url", "may have one variable, {{1}}, only at its end."
                )
            out["example"] = [_text(_first(b.get("example")), f"{field}.example", max_len=URL_MAX)]
            if not re.match(r"^https?://", out["example"][0]):
                raise TemplateInvalid(f"{field}.example", "must be the full example address.")
        return out
    raise TemplateInvalid(f"{field}.type", "must be QUICK_REPLY, URL, PHONE_NUMBER or OTP.")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _buttons(comp: Mapping[str, Any], category: str) -> dict[str, Any]:
    raw = comp.get("buttons")
    if not isinstance(raw, list) or not raw:
        raise TemplateInvalid("buttons", "a buttons component needs at least one button.")
    if len(raw) > BUTTONS_MAX:
        raise TemplateInvalid("buttons", f"at most {BUTTONS_MAX} buttons.")
    buttons = [_button(b, i, category) for i, b in enumerate(raw)]
    kinds = [b["type"] for b in buttons]
    if kinds.count("URL") > URL_BUTTONS_MAX:
        raise TemplateInvalid("buttons", f"at most {URL_BUTTONS_MAX} website buttons.")
    if kinds.count("PHONE_NUMBER") > PHONE_BUTTONS_MAX:
        raise TemplateInvalid("buttons", "at most one phone-number button.")
    if kinds.count("OTP") > 1:
        raise TemplateInvalid("buttons", "at most one copy-code button.")
    quick = [i for i, k in enumerate(kinds) if k == "QUICK_REPLY"]
    if quick and quick[-1] - quick[0] + 1 != len(quick):
        raise TemplateInvalid("buttons", "quick replies must be next to each other.")
    texts = [b["text"] for b in buttons if b.get("text")]
    if len(set(texts)) != len(texts):
        raise TemplateInvalid("buttons", "two buttons have the same text.")
    return {"type": "BUTTONS", "buttons": buttons}


def check_template(data: Any) -> dict[str, Any]:
    """The template ``data`` normalised for Meta's ``POST /{waba-id}/message_templates``, or
    :class:`TemplateInvalid` naming the first field at fault."""
    if not isinstance(data, Mapping):
        raise TemplateInvalid("template", "must be an object.")
    name = _text(data.get("name"), "name", max_len=NAME_MAX)
    if not NAME_RE.match(name):
        raise TemplateInvalid("name", "use only lowercase letters, digits and underscores.")
    language = _text(data.get("language"), "language", max_len=15)
    if not LANGUAGE_RE.match(language):
        raise TemplateInvalid("language", "must be a language code such as en or en_US.")
    category = str(data.get("category") or "").upper()
    if category not in CATEGORIES:
        raise TemplateInvalid("category", "must be MARKETING, UTILITY or AUTHENTICATION.")
    return {
        "name": name,
        "language": language,
        "category": category,
        "components": check_components(data.get("components"), category),
    }


def check_components(raw: Any, category: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise TemplateInvalid("components", "must be a list of components.")
    seen: dict[str, Mapping[str, Any]] = {}
    for i, comp in enumerate(raw):
        if not isinstance(comp, Mapping):
            raise TemplateInvalid(f"components[{i}]", "must be an object.")
        kind = str(comp.get("type") or "").upper()
        if kind not in ("HEADER", "BODY", "FOOTER", "BUTTONS"):
            raise TemplateInvalid(
                f"components[{i}].type", "must be HEADER, BODY, FOOTER or BUTTONS."
            )
        if kind in seen:
            raise TemplateInvalid(kind.lower(), "appears twice.")
        seen[kind] = comp
    if "BODY" not in seen:
        raise TemplateInvalid("body", "is required.")
    auth = category == "AUTHENTICATION"
    out: list[dict[str, Any]] = []
    if "HEADER" in seen:
        if auth:
            raise TemplateInvalid("header", "authentication templates have no header.")
        out.append(_header(seen["HEADER"]))
    out.append(_auth_body(seen["BODY"]) if auth else _body(seen["BODY"]))
    if "FOOTER" in seen:
        out.append(_footer(seen["FOOTER"], category))
    if "BUTTONS" in seen:
        out.append(_buttons(seen["BUTTONS"], category))
    elif auth:
        raise TemplateInvalid("buttons", "authentication templates need the copy-code button.")
    return out


def header_format(components: list[dict[str, Any]]) -> str | None:
    """``TEXT``, ``IMAGE``, ``VIDEO``, ``DOCUMENT`` or None: the template's header kind."""
    for comp in components:
        if str(comp.get("type") or "").upper() == "HEADER":
            return str(comp.get("format") or "").upper() or None
    return None
