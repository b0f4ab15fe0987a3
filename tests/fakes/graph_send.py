"""Meta's rules for a Cloud API send body (the subset repdesk uses), as the fake Graph API
checks them before it accepts a message."""

from __future__ import annotations

import re
from typing import Any

E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
MESSAGE_TYPES = {
    "text",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "template",
    "interactive",
    "location",
    "contacts",
    "reaction",
}


def validate_send(body: Any) -> str | None:
    """Meta's rules for a send body (the subset repdesk uses); None when valid."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be 'whatsapp'"
    to = str(body.get("to", ""))
    if not E164.match(to):
        return "Invalid parameter: to"
    t = body.get("type", "text")
    if t not in MESSAGE_TYPES:
        return f"Unsupported message type {t}"
    obj = body.get(t)
    if not isinstance(obj, dict):
        return f"The parameter {t} is required"
    if t == "text":
        text = obj.get("body")
        if not isinstance(text, str) or not text.strip():
            return "The parameter text['body'] is required"
        if len(text) > 4096:
            return "Param text['body'] must be at most 4096 characters long"
        if "preview_url" in obj and not isinstance(obj["preview_url"], bool):
            return "preview_url must be a boolean"
    elif t in ("image", "document", "audio", "video", "sticker"):
        if bool(obj.get("id")) == bool(obj.get("link")):
            return f"Exactly one of {t}['id'] or {t}['link'] is required"
        if "caption" in obj and len(str(obj["caption"])) > 1024:
            return "caption must be at most 1024 characters"
    elif t == "template":
        if (
            not obj.get("name")
            or not isinstance(obj.get("language"), dict)
            or not obj["language"].get("code")
        ):
            return "template name and language.code are required"
        for comp in obj.get("components") or []:
            if not isinstance(comp, dict) or comp.get("type") not in (
                "header",
                "body",
                "button",
                "footer",
            ):
                return "template component type must be header, body or button"
    elif t == "interactive":
        kind = obj.get("type")
        if kind not in ("button", "list", "cta_url", "product", "product_list", "flow"):
            return "interactive.type is invalid"
        if not isinstance(obj.get("body"), dict) or not obj["body"].get("text"):
            return "interactive.body.text is required"
        if kind == "button":
            buttons = (obj.get("action") or {}).get("buttons")
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                return "Reply buttons: between 1 and 3 buttons are required"
            titles = []
            for b in buttons:
                reply = b.get("reply") if isinstance(b, dict) else None
                if b.get("type") != "reply" or not isinstance(reply, dict) or not reply.get("id"):
                    return "Each button needs type 'reply' and reply.id"
                title = str(reply.get("title") or "")
                if not title or len(title) > 20:
                    return "Button title length invalid (1-20 characters)"
                titles.append(title)
            if len(set(titles)) != len(titles):
                return "Button titles must be unique"
    if "context" in body and not (
        isinstance(body["context"], dict) and body["context"].get("message_id")
    ):
        return "context.message_id is required"
    return None
