"""The engine's part in paying for an order: after a confirmed order, ask once for the
customer's email when the business sends Paystack links and none is known; and "send me the
link again", known by its examples (English, Pidgin and texting spellings).

The engine never composes a link or an amount to pay: it emits a ``payment`` action
(``send``: ``link`` with the email given, ``instructions``, or ``again``) and the payments
domain sends the order's own link or instructions."""

from __future__ import annotations

import re

from repdesk.ai.engine.base import Action, EngineContext, EngineResult
from repdesk.ai.engine.normalise import to_english
from repdesk.ai.engine.text import stem, tokens

ASK_EMAIL = "To send you a payment link, what's your email address?"
ASK_AGAIN = (
    "Sorry, that doesn't look like an email address. Please send it like name@example.com, "
    "or say no and I'll tell you another way to pay."
)
GOT_EMAIL = "Thank you! Your payment link is on its way."
NO_EMAIL = "No problem! Here is how to pay instead."
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
DECLINE = re.compile(
    r"^\s*(no+|nope|nah|no\s+thanks?|i\s+(don'?t|do\s+not|no)\s+(have|get|use|want)|"
    r"i\s+no\s+get|i\s+(won'?t|will\s+not|would\s+rather\s+not)|rather\s+not|"
    r"skip|not\s+now|forget\s+(it|am)|leave\s+(it|am))\b|\bno\s+email\b|\bwithout\s+(an\s+)?email\b",
    re.I,
)
TRIES = 2  # no email given this many times: the instructions instead

# "Send me the link again", as customers write it; a message is that intent when it covers
# nearly all of one example's words (after Pidgin and texting spellings become English).
LINK_AGAIN_EXAMPLES = (
    "send me the link again",
    "send the link again",
    "resend the link",
    "resend the payment link",
    "can you send the payment link again",
    "send payment link",
    "please send the payment link",
    "i did not get the link",
    "i didn't get the payment link",
    "i lost the link",
    "i can't find the link",
    "the link is not working send another one",
    "the link has expired",
    "where is the payment link",
    "i never see the link",
    "drop the link again",
    "share the link again",
    "link again please",
    "send am again",
    "another payment link",
)
_SPELLINGS = {
    "pls": "please", "plz": "please", "abeg": "please", "biko": "please", "lnk": "link",
    "linc": "link", "agn": "again", "again.": "again", "d": "the", "da": "the", "de": "the",
    "snd": "send", "sen": "send", "resen": "resend", "re-send": "resend", "paymnt": "payment",
    "pay": "payment", "u": "you", "am": "it", "didnt": "not", "didn't": "not",
    "cant": "not", "can't": "not", "never": "not", "don't": "not", "dont": "not",
}  # fmt: skip
_FILLER = {
    "please", "the", "a", "me", "my", "you", "can", "i", "is", "it", "one", "to", "for", "did",
    "do",
}  # fmt: skip
LINK_AGAIN_COVERAGE = 0.99  # every word of the example that says something


def _words(text: str) -> set[str]:
    plain = to_english(text.lower().replace("re-send", "resend"))
    out = set()
    for t in tokens(plain):
        t = _SPELLINGS.get(t, t)
        if t == "resend":
            out |= {"send", "again"}
        elif t not in _FILLER:
            out.add(stem(t))
    return out


_EXAMPLE_WORDS = [_words(e) for e in LINK_AGAIN_EXAMPLES]


def wants_link_again(text: str) -> bool:
    """Asks for the payment link (again): the words of some example are all in the message,
    and the message is short enough to be about that (not an order or a long question)."""
    words = _words(text)
    if "link" not in words and not ("send" in words and "again" in words and len(words) <= 3):
        return False
    if len(words) > 9:
        return False
    for example in _EXAMPLE_WORDS:
        if example and len(example & words) / len(example) >= LINK_AGAIN_COVERAGE:
            return True
    return False


def find_email(text: str) -> str | None:
    m = EMAIL.search(text)
    return m.group(0).strip(".").lower()[:320] if m else None


def after_confirm(ctx: EngineContext, reply: str) -> tuple[str, bool]:
    """The confirmation reply, with the email question when a Paystack link needs one; True
    when the question was asked (the next message is read for it)."""
    if ctx.payments == "link" and not ctx.contact_email:
        ctx.state["payment"] = {"awaiting": "email", "tries": 0}
        return f"{reply} {ASK_EMAIL}", True
    return reply, False


def continue_email(ctx: EngineContext, text: str) -> EngineResult | None:
    """The answer to the email question: the link for a valid address, the instructions
    after a refusal or a second message without one. None when not asking."""
    asking = ctx.state.get("payment")
    if not isinstance(asking, dict) or asking.get("awaiting") != "email":
        return None
    email = find_email(text)
    if email is not None:
        ctx.state.pop("payment", None)
        return EngineResult(
            [GOT_EMAIL], [Action("payment", {"send": "link", "email": email})], intent="email"
        )
    tries = int(asking.get("tries") or 0) + 1
    if DECLINE.search(text) or tries >= TRIES:
        ctx.state.pop("payment", None)
        return EngineResult(
            [NO_EMAIL], [Action("payment", {"send": "instructions"})], intent="no_email"
        )
    asking["tries"] = tries
    return EngineResult([ASK_AGAIN], intent="email_again")


def link_again() -> EngineResult:
    """The payments domain answers with the link of the latest unpaid order (or says there
    is none): the engine adds no words of its own."""
    return EngineResult([], [Action("payment", {"send": "again"})], intent="link_again")
