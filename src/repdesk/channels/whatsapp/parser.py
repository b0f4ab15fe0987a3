"""Meta webhook payload -> our events. A pure function, tested against real-format payloads.

Every field is treated as optional and unknown fields are ignored (Meta keeps adding them).
One POST may batch many entries, changes, messages and statuses: all are returned, in order.

What an inbound message becomes (``text`` is always a readable rendering, ``content`` the
structured details):

- text: the body; ``{"body"}``
- interactive button_reply / list_reply: the chosen title; ``{"interactive": kind, "id",
  "title", "description"}``; template quick reply (``type: button``): the button text;
  ``{"payload", "text"}``
- image / video / document / audio (voice) / sticker: the caption, the file name or
  ``[image]``...; ``{"mediaId", "mimeType", "sha256", "caption", "filename", "voice",
  "animated"}`` (the file itself is fetched by a job and added as ``fileId``)
- location: name, address or coordinates; ``{"latitude", "longitude", "name", "address", "url"}``
- contacts: the shared names; ``{"contacts": [...]}`` as Meta sent them
- reaction: ``Reacted 👍`` / ``Removed a reaction``; ``{"emoji", "messageId"}`` where
  ``messageId`` is the wamid of the message reacted to (the inbox attaches it there)
- anything else (``unsupported``, ``order``, ``system``, new types): a placeholder
  ``[unsupported message]`` with Meta's error and raw object kept in ``content``; never dropped.

Replies keep ``context.id`` as ``reply_to``; forwards set ``content.forwarded``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")


class PayloadError(ValueError):
    """The body is JSON but not a webhook envelope at all."""


@dataclass
class MediaRef:
    media_id: str
    mime_type: str
    kind: str  # image | video | document | audio | sticker


@dataclass
class InboundMessage:
    phone_number_id: str
    business_account_id: str
    wamid: str
    sender: str  # E.164 with '+'
    name: str | None
    timestamp: datetime | None
    type: str
    text: str
    content: dict[str, Any]
    reply_to: str | None = None
    media: MediaRef | None = None
    # A webhook envelope carrying only this item, as Meta sent it (stored raw at ingest).
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class StatusUpdate:
    phone_number_id: str
    wamid: str
    status: str  # sent | delivered | read | failed | played
    timestamp: datetime | None
    recipient: str
    error_code: int | None = None
    error_title: str | None = None
    error_details: str | None = None
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class TemplateStatusUpdate:
    """A template's status (``message_template_status_update``), quality score
    (``message_template_quality_update``: ``event`` empty) or category
    (``template_category_update``: ``event`` empty) changed at Meta."""

    business_account_id: str
    template_id: str
    name: str
    language: str
    event: str
    reason: str | None
    category: str = ""
    quality: str = ""
    # Meta's explanation of a rejection and its recommendation (``rejection_info``).
    detail: str = ""
    source: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


TEMPLATE_FIELDS = (
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
)


@dataclass
class ParsedWebhook:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    templates: list[TemplateStatusUpdate] = field(default_factory=list)

    @property
    def phone_number_ids(self) -> set[str]:
        return {m.phone_number_id for m in self.messages} | {
            s.phone_number_id for s in self.statuses
        }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _ts(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _e164(wa_id: str) -> str:
    digits = "".join(ch for ch in wa_id if ch.isdigit())
    return f"+{digits}" if digits else ""


def _envelope(
    payload: dict[str, Any], entry: dict[str, Any], change: dict[str, Any], value: dict[str, Any]
) -> dict[str, Any]:
    """The same webhook with only ``value`` in its one entry and change."""
    head = {k: v for k, v in entry.items() if k != "changes"}
    return {
        "object": payload.get("object"),
        "entry": [{**head, "changes": [{"field": change.get("field"), "value": value}]}],
    }


def parse(payload: Any) -> ParsedWebhook:
    """Every item of a webhook POST, in order. Each item keeps a one-item envelope of its own
    (``source``) which parses back to that item alone."""
    if not isinstance(payload, dict):
        raise PayloadError("The webhook body must be a JSON object.")
    out = ParsedWebhook()
    for entry in _list(payload.get("entry")):
        entry = _dict(entry)
        waba = _str(entry.get("id"))
        for change in _list(entry.get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            fld = change.get("field")
            if fld in TEMPLATE_FIELDS:
                info = _dict(value.get("rejection_info"))
                detail = " ".join(
                    _str(info.get(k)).strip() for k in ("reason", "recommendation") if info.get(k)
                )
                out.templates.append(
                    TemplateStatusUpdate(
                        business_account_id=waba,
                        template_id=_str(value.get("message_template_id")),
                        name=_str(value.get("message_template_name")),
                        language=_str(value.get("message_template_language")),
                        event=_str(value.get("event")).upper(),
                        reason=_str(value.get("reason")) or None,
                        category=_str(
                            value.get("message_template_category") or value.get("new_category")
                        ).upper(),
                        quality=_str(value.get("new_quality_score")).upper(),
                        detail=detail,
                        source=_envelope(payload, entry, change, value),
                    )
                )
                continue
            if fld not in (None, "messages"):
                continue
            pnid = _str(_dict(value.get("metadata")).get("phone_number_id"))
            contacts = [_dict(c) for c in _list(value.get("contacts"))]
            names = {
                _str(c.get("wa_id")): _str(_dict(c.get("profile")).get("name")) or None
                for c in contacts
            }
            common = {
                k: v for k, v in value.items() if k not in ("contacts", "messages", "statuses")
            }
            for raw in _list(value.get("messages")):
                msg = _parse_message(_dict(raw), pnid, waba, names)
                if msg is not None:
                    sender = _str(_dict(raw).get("from"))
                    own = [c for c in contacts if _str(c.get("wa_id")) == sender]
                    msg.source = _envelope(
                        payload, entry, change, {**common, "contacts": own, "messages": [raw]}
                    )
                    out.messages.append(msg)
            for raw in _list(value.get("statuses")):
                st = _parse_status(_dict(raw), pnid)
                if st is not None:
                    st.source = _envelope(payload, entry, change, {**common, "statuses": [raw]})
                    out.statuses.append(st)
    return out


def _parse_status(raw: dict[str, Any], pnid: str) -> StatusUpdate | None:
    wamid = _str(raw.get("id"))
    status = _str(raw.get("status")).lower()
    if not wamid or not status:
        return None
    err = _dict(_list(raw.get("errors"))[0]) if _list(raw.get("errors")) else {}
    code = err.get("code")
    return StatusUpdate(
        phone_number_id=pnid,
        wamid=wamid,
        status=status,
        timestamp=_ts(raw.get("timestamp")),
        recipient=_e164(_str(raw.get("recipient_id"))),
        error_code=int(_str(code)) if _str(code).isdigit() else None,
        error_title=(_str(err.get("title") or err.get("message")) or None) if err else None,
        error_details=_str(_dict(err.get("error_data")).get("details")) or None,
    )


def _media_text(kind: str, obj: dict[str, Any]) -> str:
    caption = _str(obj.get("caption")).strip()
    if caption:
        return caption
    filename = _str(obj.get("filename")).strip()
    if filename:
        return filename
    if kind == "audio" and obj.get("voice"):
        return "[voice message]"
    return f"[{kind}]"


def _location_text(loc: dict[str, Any]) -> str:
    name, address = _str(loc.get("name")).strip(), _str(loc.get("address")).strip()
    if name and address:
        return f"{name}, {address}"
    if name or address:
        return name or address
    return f"{loc.get('latitude')}, {loc.get('longitude')}"


def _contact_name(c: dict[str, Any]) -> str:
    name = _dict(c.get("name"))
    full = _str(name.get("formatted_name")) or " ".join(
        p for p in (_str(name.get("first_name")), _str(name.get("last_name"))) if p
    )
    if full:
        return full
    phones = _list(c.get("phones"))
    return _str(_dict(phones[0]).get("phone")) if phones else "contact"


def _parse_message(
    raw: dict[str, Any], pnid: str, waba: str, names: dict[str, str | None]
) -> InboundMessage | None:
    wamid = _str(raw.get("id"))
    sender = _str(raw.get("from"))
    if not wamid or not sender:
        return None
    kind = _str(raw.get("type")) or "unsupported"
    ctx = _dict(raw.get("context"))
    content: dict[str, Any] = {}
    media: MediaRef | None = None
    msg_type = kind
    if ctx.get("forwarded") or ctx.get("frequently_forwarded"):
        content["forwarded"] = True
        if ctx.get("frequently_forwarded"):
            content["frequentlyForwarded"] = True
    if raw.get("referral"):
        content["referral"] = _dict(raw.get("referral"))

    obj = _dict(raw.get(kind))
    if kind == "text":
        text = _str(obj.get("body"))
        content["body"] = text
    elif kind == "interactive":
        sub = _str(obj.get("type"))
        choice = _dict(obj.get(sub))
        text = _str(choice.get("title")) or f"[{sub or 'interactive'}]"
        content.update(
            {"interactive": sub, "id": _str(choice.get("id")), "title": _str(choice.get("title"))}
        )
        if choice.get("description"):
            content["description"] = _str(choice.get("description"))
        if sub == "nfm_reply":  # WhatsApp Flows answer
            content["response"] = _str(choice.get("response_json"))
            text = _str(choice.get("body")) or "[form reply]"
    elif kind == "button":
        text = _str(obj.get("text")) or _str(obj.get("payload")) or "[button]"
        content.update({"payload": _str(obj.get("payload")), "text": _str(obj.get("text"))})
    elif kind in MEDIA_TYPES:
        text = _media_text(kind, obj)
        content.update(
            {
                "mediaId": _str(obj.get("id")),
                "mimeType": _str(obj.get("mime_type")),
                "sha256": _str(obj.get("sha256")),
            }
        )
        for key in ("caption", "filename"):
            if obj.get(key):
                content[key] = _str(obj.get(key))
        if kind == "audio":
            content["voice"] = bool(obj.get("voice"))
        if kind == "sticker":
            content["animated"] = bool(obj.get("animated"))
        if obj.get("id"):
            media = MediaRef(_str(obj.get("id")), _str(obj.get("mime_type")), kind)
    elif kind == "location":
        content.update(
            {
                k: obj.get(k)
                for k in ("latitude", "longitude", "name", "address", "url")
                if obj.get(k) is not None
            }
        )
        text = _location_text(obj)
    elif kind == "contacts":
        shared = [_dict(c) for c in _list(raw.get("contacts"))]
        content["contacts"] = shared
        text = (
            "Shared contact"
            + ("s" if len(shared) != 1 else "")
            + ": "
            + ", ".join(_contact_name(c) for c in shared)
            if shared
            else "[contacts]"
        )
    elif kind == "reaction":
        emoji = _str(obj.get("emoji"))
        content.update({"emoji": emoji, "messageId": _str(obj.get("message_id"))})
        text = f"Reacted {emoji}" if emoji else "Removed a reaction"
    else:
        msg_type = "unsupported"
        errors = [_dict(e) for e in _list(raw.get("errors"))]
        content.update({"originalType": kind, "raw": obj})
        if kind == "unsupported" and obj.get("type"):
            content["unsupportedType"] = _str(obj.get("type"))
        if errors:
            content["error"] = {
                "code": errors[0].get("code"),
                "title": _str(errors[0].get("title")),
            }
        text = "[unsupported message]"
    name = names.get(sender)
    return InboundMessage(
        phone_number_id=pnid,
        business_account_id=waba,
        wamid=wamid[:128],
        sender=_e164(sender)[:20],
        name=name[:200] if name else None,
        timestamp=_ts(raw.get("timestamp")),
        type=msg_type,
        text=text,
        content=content,
        reply_to=_str(ctx.get("id"))[:128] or None,
        media=media,
    )
