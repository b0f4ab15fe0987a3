"""Channel dialect: WhatsApp replies are short and plain (the WhatsApp sender turns simple
markdown into WhatsApp formatting at send time); the widget keeps simple markdown."""

from __future__ import annotations

import re

WHATSAPP_MAX = 700


def for_channel(text: str, channel: str) -> str:
    text = text.strip()
    if channel != "whatsapp":
        return text
    # No headers or tables on WhatsApp.
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"^\|?\s*:?-{3,}.*$", "", text, flags=re.M)
    text = re.sub(
        r"^\|(.+)\|$",
        lambda m: " · ".join(c.strip() for c in m.group(1).split("|")),
        text,
        flags=re.M,
    )
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) <= WHATSAPP_MAX:
        return text
    cut = text[:WHATSAPP_MAX]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return (cut[: end + 1] if end > WHATSAPP_MAX // 2 else cut).rstrip()
