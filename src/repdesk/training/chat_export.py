"""WhatsApp chat exports: the ``.txt`` of Android and iOS, and the ``.zip`` that holds it.

Pure functions: bytes in, messages and a derived style profile out. Android lines look like
``31/12/2020, 21:15 - Tee: Hello`` (or ``12/31/20, 9:15 PM - ...``); iOS lines like
``[31/12/2020, 21:15:04] Tee: Hello``. Lines without a timestamp continue the previous message;
system lines (encryption notices, joins) and media placeholders are skipped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass

from repdesk.kit.errors import ValidationError

MAX_EXPORT_BYTES = 10 * 1024 * 1024
MAX_TXT_BYTES = 20 * 1024 * 1024

_TIME = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:[\s\u202f\u00a0]?[APap]\.?\s?[Mm]\.?)?"
_DATE = r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}"
ANDROID = re.compile(rf"^({_DATE}),?\s+({_TIME})\s+-\s+([^:]{{1,80}}?):\s?(.*)$")
IOS = re.compile(rf"^\[({_DATE}),?\s+({_TIME})\]\s+([^:]{{1,80}}?):\s?(.*)$")
SYSTEM_START = re.compile(rf"^(\[?{_DATE},?\s+{_TIME}\]?)(\s+-)?\s+")
MEDIA = re.compile(
    r"^(<media omitted>|<attached:.*>|(image|video|audio|sticker|document|gif) omitted|"
    r"this message was deleted|you deleted this message|null|missed (voice|video) call)",
    re.I,
)
INVISIBLE = re.compile(r"[\u200e\u200f\u202a-\u202e\ufeff]")
EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u2764\u2705\u2728]"
)
GREETING = re.compile(
    r"^(hi+|hello+|hey+|good\s+(morning|afternoon|evening|day)|morning|evening|how\s+far|"
    r"welcome)\b(\s+(dear|sis|bro|ma|sir|boss|madam|darling|all|there|friend|oga))?",
    re.I,
)
SIGNOFF = re.compile(
    r"(thank(s| you)[^.!?\n]{0,40}|regards[^.!?\n]{0,30}|cheers|have a (great|nice|lovely) "
    r"(day|evening|weekend)|God bless[^.!?\n]{0,20}|we appreciate[^.!?\n]{0,30})[.!]*\s*\S*$",
    re.I,
)
PIDGIN = re.compile(
    r"\b(abeg|una|wetin|dey|wan|sabi|abi|shey|no vex|oya|jare|sha|wahala|na)\b", re.I
)
ADDRESS_WORDS = (
    "dear",
    "sis",
    "bro",
    "ma",
    "sir",
    "boss",
    "darling",
    "love",
    "hun",
    "madam",
    "customer",
    "friend",
    "oga",
)
FORMAL = re.compile(
    r"\b(dear (sir|madam|customer)|kindly|regards|sincerely|please be advised)\b", re.I
)


@dataclass
class ChatMessage:
    author: str
    text: str


def read_export(data: bytes, filename: str = "") -> str:
    """The chat text from a .txt or .zip export. Raises ValidationError for anything else."""
    if not data:
        raise ValidationError("The file is empty.", code="EMPTY_FILE")
    if len(data) > MAX_EXPORT_BYTES:
        raise ValidationError("The export is too large (10 MB at most).", code="FILE_TOO_LARGE")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                txts = [
                    i
                    for i in zf.infolist()
                    if i.filename.lower().endswith(".txt") and not i.filename.startswith("__MACOSX")
                ]
                if not txts:
                    raise ValidationError(
                        "The zip has no chat .txt file in it.", code="UNSUPPORTED_FILE"
                    )
                info = sorted(txts, key=lambda i: ("_chat" not in i.filename.lower(), i.filename))[
                    0
                ]
                if info.file_size > MAX_TXT_BYTES:
                    raise ValidationError(
                        "The chat inside the zip is too large.", code="FILE_TOO_LARGE"
                    )
                data = zf.read(info)
        except zipfile.BadZipFile as exc:
            raise ValidationError("The zip file is corrupt.", code="UNSUPPORTED_FILE") from exc
    for enc in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationError("The export is not a text file.", code="UNSUPPORTED_FILE")


def parse(text: str) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    skip_continuation = False
    for raw in text.splitlines():
        line = INVISIBLE.sub("", raw).rstrip()
        m = IOS.match(line) or ANDROID.match(line)
        if m:
            author, body = m.group(3).strip(), m.group(4).strip()
            if MEDIA.match(body):
                skip_continuation = True
                continue
            messages.append(ChatMessage(author, body))
            skip_continuation = False
        elif SYSTEM_START.match(line):
            skip_continuation = True  # a system line: no author
        elif line.strip() and messages and not skip_continuation:
            messages[-1].text += "\n" + line.strip()
    return [m for m in messages if m.text]


def participants(messages: list[ChatMessage]) -> list[str]:
    return [name for name, _ in Counter(m.author for m in messages).most_common()]


def examples(messages: list[ChatMessage], business: str, limit: int = 100) -> list[dict[str, str]]:
    """Customer -> business pairs: consecutive customer messages, then the business's reply."""
    pairs: list[dict[str, str]] = []
    customer: list[str] = []
    reply: list[str] = []
    for m in [*messages, ChatMessage("", "")]:
        if m.author == business:
            if customer:
                reply.append(m.text)
            continue
        if customer and reply:
            pairs.append(
                {"customer": "\n".join(customer)[:1000], "business": "\n".join(reply)[:1000]}
            )
            customer, reply = [], []
        if m.author:
            if reply:
                customer, reply = [], []
            customer.append(m.text)
    return pairs[-limit:]


def derive_profile(messages: list[ChatMessage], business: str) -> dict[str, object]:
    own = [m.text for m in messages if m.author == business]
    if not own:
        raise ValidationError(f"{business} wrote no messages in this chat.")
    greetings = Counter()  # type: Counter[str]
    signoffs = Counter()  # type: Counter[str]
    emoji = Counter()  # type: Counter[str]
    address = Counter()  # type: Counter[str]
    grams = Counter()  # type: Counter[str]
    pidgin = formal = emoji_total = 0
    lengths = []
    for text in own:
        lengths.append(len(text))
        g = GREETING.match(text)
        if g:
            greetings[g.group(0).strip(" ,!").capitalize()] += 1
        s = SIGNOFF.search(text)
        if s:
            signoffs[s.group(0).strip()] += 1
        found = EMOJI.findall(text)
        emoji_total += len(found)
        emoji.update(found)
        low = text.lower()
        for w in ADDRESS_WORDS:
            if re.search(rf"\b{w}\b", low):
                address[w] += 1
        if PIDGIN.search(text):
            pidgin += 1
        if FORMAL.search(text):
            formal += 1
        words = re.findall(r"[a-z']+", low)
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                grams[" ".join(words[i : i + n])] += 1
    n = len(own)
    lengths.sort()
    emoji_rate = emoji_total / n
    stop = {"i", "you", "the", "a", "to", "is", "it", "of", "and", "in", "for", "we", "on"}
    phrases = [
        g for g, c in grams.most_common(60) if c >= 3 and not all(w in stop for w in g.split())
    ][:8]
    formality = (
        "formal"
        if formal / n > 0.2
        else ("casual" if pidgin / n > 0.1 or emoji_rate > 0.5 else "neutral")
    )
    return {
        "greetings": [g for g, _ in greetings.most_common(3)],
        "signOffs": [s for s, _ in signoffs.most_common(3)],
        "addressCustomerAs": address.most_common(1)[0][0] if address else "",
        "favouriteEmoji": [e for e, _ in emoji.most_common(5)],
        "emojiRate": round(emoji_rate, 2),
        "formality": formality,
        "languages": ["English", "Nigerian Pidgin"] if pidgin / n > 0.1 else ["English"],
        "phrases": phrases,
        "avoidPhrases": [],
        "averageLength": round(sum(lengths) / n),
        "maxLength": max(120, min(1200, lengths[int(0.9 * (n - 1))] * 2)),
        "messagesAnalysed": n,
    }
