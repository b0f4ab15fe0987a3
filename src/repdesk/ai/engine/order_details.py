"""Reading an order's customer details from what customers actually type (pure functions).

Each detail is found wherever it is in the message and in whatever order the details come:
a name after "I'm", "this is", "my name is", before "here", or alone when it was asked for; a
phone number through ``phonenumbers`` with the business's country; a whole address (every
comma-separated part of it) after "deliver to", "my address is", or as a line that looks
like one; delivery or pickup in any wording, English or Pidgin, with negations ("no need to
deliver, I'll come and collect it"). A name is never a place and a place never a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from repdesk.ai.grounding import figures
from repdesk.kit.phones import InvalidPhoneNumberError, normalize_phone

_PLACES = (
    r"lekki|ikeja|yaba|surulere|ajah|ikoyi|victoria\s+island|vi|festac|ikorodu|gbagada|"
    r"magodo|maryland|ogba|ojodu|berger|ketu|ojota|oshodi|isolo|ilupeju|mushin|apapa|"
    r"obalende|sangotedo|chevron|agege|egbeda|ipaja|alimosho|ejigbo|ikotun|oniru|"
    r"abuja|wuse|garki|maitama|asokoro|gwarinpa|kubwa|jabi|utako|ibadan|bodija|"
    r"port\s+harcourt|ph|enugu|kano|kaduna|benin|warri|owerri|uyo|calabar|jos|ilorin|"
    r"lagos|abeokuta|ogun|oyo|akure|osogbo|onitsha|awka|aba|asaba|lokoja|mainland|island"
)
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|close|crescent|cres|estate|lane|ln|way|drive|dr|"
    r"junction|opposite|opp|behind|beside|house|flat|apartment|apt|block|plot|"
    r"no\.?\s*\d+|phase|bus\s+stop|market|plaza|mall|complex|quarters|layout|extension|"
    r"gate|hostel|campus|office|state|city|town|area|station|school|church|mosque|hospital|"
    r"hotel|roundabout|university|polytechnic|college|barracks"
)
# A flat, block or shop number before the street ("Flat 3", "Block C", "Shop 12B").
_UNIT = re.compile(
    r"(?:flat|apartment|apt|block|house|suite|room|shop|plot|unit|no\.?|number)\s*[\w/-]{1,5}",
    re.I,
)
_ENDS_STREET = re.compile(
    r"\b(?:street|road|avenue|crescent|close|lane|drive|estate|boulevard|expressway)\.?$",
    re.I,
)
STREET = re.compile(rf"\b({_STREET_WORDS}|{_PLACES})\b", re.I)
PLACE = re.compile(rf"^(?:{_PLACES})$", re.I)

_NEG = re.compile(
    r"(?:\b(?:no|not|don'?t|dont|do\s+not|no\s+need\s+(?:to|for)|never|without|nor|"
    r"instead\s+of|rather\s+than|i\s+no\s+(?:want|need))\s+(?:\w+\s+){0,2})$",
    re.I,
)
PICKUP = re.compile(
    r"\b(pick\s*-?\s*up|pickup|pick(?:ing)?\s+(?:it|them|am|the\s+\w+|my\s+\w+)\s+up|"
    r"pick\s+(?:it|am|them)\b|collect(?:ion|ing)?|"
    r"come\s+(?:and\s+|to\s+|go\s+)?(?:get|collect|carry|pick|take|fetch|load)|"
    r"(?:send|sending)\s+(?:my|a|our|the|some)?\s*\w+\s+(?:to|go|come|and)\s+"
    r"(?:get|collect|carry|pick|take|fetch|load)|"
    r"(?:get|collect|carry|take|fetch|load)\s+(?:it|am|them)\s+(?:from|for|at)\s+"
    r"(?:you|una|your|the)\b|"
    r"(?:come|coming)\s+(?:for|to\s+take|to\s+get)\s+(?:it|am|them)|"
    r"(?:i'?ll|i\s+will|i\s+go|make\s+i|i\s+fit|i\s+can)\s+come\b|"
    r"(?:get|grab|fetch|carry|take)\s+(?:it|am|them)\s+(?:myself|by\s+myself)|"
    r"self[\s-]?pick(?:\s*up)?|walk[\s-]?in|in\s+person|(?:pass|stop|swing)\s+by|"
    r"come\s+(?:over|round|around)(?!\s+to\s+my)|"
    r"(?:from|at)\s+(?:the|your|una)\s+(?:shop|store|outlet|office|place|branch)|"
    r"(?:bring|drop|carry)\s+(?:it|them|am)\s+(?:to|for|come)\s+(?:the|your|una)\s+"
    r"(?:shop|store|office|outlet|branch))\b",
    re.I,
)
DELIVERY = re.compile(
    r"\b(deliver(?:y|ed|ing)?|dispatch|ship(?:ping)?|waybill|door\s*step|doorstep|"
    r"(?:bring|send|drop)\s+(?:it|am|them|the\s+\w+)?\s*(?:to|for|come|over|off)\b"
    r"(?!\s*(?:the|your|una)\s+(?:shop|store|office|outlet|branch))|"
    r"(?:from|for|at)\s+my\s+(?:house|place|office|home|flat|door)|"
    r"carry\s+(?:it|am|them)\s+(?:come|to\s+me)\b|"
    r"bring\s+(?:it|am|them)|send\s+(?:it|am|them)|"
    r"(?:to|come)\s+my\s+(?:house|place|office|home|shop|door|flat|area)|rider)\b",
    re.I,
)
_TITLES = r"(?:mr|mrs|miss|ms|dr|chief|mama|baba|aunty|auntie|madam|engr|pastor|prof|alhaji|alhaja)"
_NAME_WORDS = rf"(?:{_TITLES}\.?\s+)?[A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z][A-Za-z'\-]+){{0,3}}"
NAME_INTRO = re.compile(
    r"(?:\bmy\s+name\s+is|\bmy\s+name'?s|\bmy\s+name\s*:|\bname\s*(?:is|:|-|na)|"
    r"\bi\s+am|\bi'?m|\bim|\bthis\s+is|\bit'?s|\bna\s+me\s+be|\bna\s+me|\bcall\s+me|\bi\s+be|"
    r"(?:^|(?<=[.,!;]\s)|(?<=[.,!;]))\s*na|"
    rf"\bput\s+it\s+(?:under|in\s+the\s+name)\s+(?:of\s+)?)\s+({_NAME_WORDS})",
    re.I,
)
NAME_HERE = re.compile(
    rf"^(?:(?:hi|hello|hey|good\s+\w+)[\s,!]+)?({_NAME_WORDS}?)\s+here\b",
    re.I,
)
ADDRESS_INTRO = re.compile(
    r"(?:\bmy\s+address\s+is|\baddress\s*(?:is|:|-)?|\bdeliver(?:y|ed)?\s+(?:it\s+|them\s+|am\s+)?to|"
    r"\bsend\s+(?:it\s+|am\s+|them\s+)?to|\bbring\s+(?:it\s+|am\s+|them\s+)?to|"
    r"\bcarry\s+(?:it\s+|am\s+)?(?:come\s+)?to|\bdrop\s+(?:it\s+)?(?:off\s+)?at|"
    r"\blocated\s+at|\bi\s+live\s+(?:at|in|on)|\bi\s+stay\s+(?:at|in|on)|"
    r"\bi\s+(?:dey\s+)?(?:stay\s+)?(?:at|for|in)|\bship\s+(?:it\s+)?to)\s*:?\s+(.+)",
    re.I | re.S,
)
# Where an address stops: the next detail.
_ADDRESS_END = re.compile(
    r"(?:[,.;!]?\s+(?:and\s+)?(?:my\s+(?:name|number|phone|line|contact)|name\s*(?:is|:)|"
    r"phone\s*(?:number)?\s*(?:is|:)?|number\s*(?:is|:)|tel\b|call\s+me|i'?m\s+[A-Z]|"
    r"this\s+is\b|thanks|thank\s+you|please\b|pls\b|abeg\b|for\s+(?:delivery|pickup))|"
    r"\n|\x00|\s+-\s+|[.!]\s+(?=[A-Za-z]{3,}))",
    re.I,
)


# Where one detail of a message ends: a line, a comma, a sentence (not the dot of "Mr.").
_SEGMENT_END = re.compile(
    r"[\n;]|,|\x00|(?<![Mm]r)(?<![Mm]rs)(?<![Dd]r)(?<![Mm]s)[.!?]\s+(?=[A-Z])"
)
# Replies that confirm or fill in, never a name or an address ("go ahead", "yes please").
_FILLER_WORDS = (
    "yes yeah yep ok okay sure go ahead confirm confirmed correct proceed please pls that's "
    "thats fine na so alright abeg no problem great perfect done it is good"
)
_FILLER = frozenset(_FILLER_WORDS.split())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


# Words that begin no name ("I'm in Lekki", "it's fine", "I am coming to collect").
NOT_NAME = _words(
    "a an the in at on from to for of by with near here there not no yes ok okay fine good "
    "great well sorry sure ready coming going interested looking waiting buying ordering "
    "just still also very so really available around outside home back done happy busy "
    "hungry alright based located living staying free new gonna trying asking that this it "
    "me my your our we you they he she i about only pickup delivery pick deliver collect "
    "correct right order want need like would will can please pls abeg thanks thank called "
    "name number phone address one two three four five six seven eight nine ten actually "
    "confirm cancel yea yeah yep nope hi hello hey dear sir ma madam boss cool nice perfect "
    "wow lol hmm same sending sent paying paid "
)
NAME_STOP = _words(
    "and my phone number address please pls abeg pickup delivery pick deliver from in at "
    "here i im i'm is tel call send bring will would want for to on the a an with who "
)
NOT_NAME_LINES = _phrases(
    "yes|no|ok|okay|yes please|confirm|confirmed|correct|sure|na so|cancel|pickup|delivery|"
    "thanks|thank you|alright|fine|good|great|perfect|yep|yeah|nope|done|no problem"
)


@dataclass(frozen=True)
class Details:
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    method: str | None = None  # pickup | delivery


def normalise_phone(raw: str, country: str = "NG") -> str | None:
    """A phone number as the business writes it: national digits for its own country
    ("08031234567"), E.164 otherwise; None when it is no valid number."""
    try:
        e164 = normalize_phone(raw, default_region=country or "NG")
    except InvalidPhoneNumberError:
        return None
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    if region == (country or "NG").upper():
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return re.sub(r"\D", "", national)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_phones(text: str, country: str = "NG") -> list[tuple[str, tuple[int, int]]]:
    """Phone numbers in the text, normalised, with their spans."""
    out: list[tuple[str, tuple[int, int]]] = []
    for m in phonenumbers.PhoneNumberMatcher(text, country or "NG", leniency=0):
        value = normalise_phone(m.raw_string, country)
        if value:
            out.append((value, (m.start, m.end)))
    if not out:
        for f in figures(text):
            if f.kind != "phone":
                continue
            value = normalise_phone(f.raw, country)
            start = text.find(f.raw)
            if value and start >= 0:
                out.append((value, (start, start + len(f.raw))))
    return out


def find_method(text: str) -> str | None:
    """pickup or delivery: the last one the message says, counting a negated one ("no need to
    deliver") as the other."""
    events: list[tuple[int, str]] = []
    for rx, method, other in ((PICKUP, "pickup", "delivery"), (DELIVERY, "delivery", "pickup")):
        for m in rx.finditer(text):
            before = text[max(0, m.start() - 30) : m.start()]
            events.append((m.start(), other if _NEG.search(before) else method))
    if not events:
        return None
    return sorted(events)[-1][1]


def clean_name(raw: str) -> str | None:
    words: list[str] = []
    for w in raw.replace(",", " , ").split():
        lw = w.lower().strip(".")
        if w == "," or lw in NAME_STOP or any(c.isdigit() for c in w):
            break
        if PLACE.match(lw) and words:
            break
        words.append(w.strip(",."))
    if words and words[0].lower() == "na" and len(words) > 1:
        words = words[1:]  # Pidgin "Na Boma": it's Boma
    if not words:
        return None
    first = words[0].lower().strip(".")
    if re.fullmatch(_TITLES, first) and len(words) == 1:
        return None
    core = words[1].lower() if re.fullmatch(_TITLES, first) and len(words) > 1 else first
    if core in NOT_NAME or core.endswith("ing") or PLACE.match(core) or len(core) < 2:
        return None
    name = " ".join(w if not w.islower() else w.capitalize() for w in words)
    name = re.sub(rf"^({_TITLES})\b\.?", lambda m: m.group(1).capitalize(), name, flags=re.I)
    return name if len(name) <= 60 else None


def _looks_like_address(segment: str) -> bool:
    """A line or comma part that is an address by itself: a number with a street word
    ("12 Allen Avenue"), or street words and a known place, not a sentence."""
    s = segment.strip()
    if len(s) < 4 or len(s.split()) > 12 or not STREET.search(s) or find_method_words(s):
        return False
    places = len(STREET.findall(s))
    if len(s.split()) >= 2 and _ENDS_STREET.search(s):
        return True  # "Alausa Secretariat Road"
    number = re.search(r"(?<![\d.,])\d+(?:st|nd|rd|th|[a-z])?(?![\d%.,])\s*,?\s+[A-Za-z]", s)
    return (bool(number) and places >= 1) or places >= 2


def _place_part(segment: str) -> bool:
    """A comma-separated part that continues an address ("Ikeja", "Lagos State", "off Allen
    Avenue"), not another detail."""
    s = segment.strip()
    if not s or len(s.split()) > 6 or NAME_INTRO.search(s) or find_method_words(s):
        return False
    return bool(STREET.search(s)) or (
        len(s.split()) <= 3
        and all(w[:1].isupper() for w in s.split())
        and not NOT_NAME & {w.lower() for w in s.split()}
    )


def find_method_words(s: str) -> bool:
    return bool(PICKUP.search(s) or DELIVERY.search(s)) and not STREET.search(
        re.sub(DELIVERY, "", re.sub(PICKUP, "", s))
    )


def _strip_address(raw: str) -> str | None:
    a = raw.strip(" ,.;:-")
    a = re.sub(
        r"^(?:me|us|my\s+(?:house|place|home|office))\s+(?:at|in|for|on)\s+", "", a, flags=re.I
    )
    a = re.sub(
        r"\s*,?\s*\b(for\s+)?(delivery|pickup|pls|please|abeg|thanks?|thank\s+you)\s*$",
        "",
        a,
        flags=re.I,
    )
    a = a.strip(" ,.;:-")
    if re.match(r"(?:the|your|una)\s+(?:shop|store|office|outlet|branch)\b", a, re.I):
        return None  # "bring them to the shop": the business's place, no delivery address
    if len(a) < 4 or a.lower() in ("me", "my house", "my place", "my office", "my home"):
        return None
    if not (re.search(r"\d", a) or STREET.search(a) or len(a.split()) >= 2):
        return None
    return a


def extract(text: str, awaiting: str | None = None, country: str = "NG") -> Details:
    """Every customer detail the message gives. ``awaiting`` is the detail just asked for: a
    bare reply ("Chidi", "5 Allen Avenue") is read as that detail."""
    phones = find_phones(text, country)
    phone = phones[0][0] if phones else None
    masked = text
    for _value, (a, b) in sorted(phones, key=lambda p: -p[1][0]):
        masked = masked[:a] + "\x00" + masked[b:]
    method = find_method(masked)
    name: str | None = None
    address: str | None = None

    m = ADDRESS_INTRO.search(masked)
    if m:
        rest = m.group(1)
        end = _ADDRESS_END.search(rest)
        address = _strip_address(rest[: end.start()] if end else rest)
    for m in NAME_INTRO.finditer(masked):
        name = clean_name(m.group(1))
        if name:
            break
    if name is None:
        m = NAME_HERE.search(masked.strip())
        if m:
            name = clean_name(m.group(1))

    # Detail per line or per comma: "Tunde Bakare, 0803…, 12 Allen Avenue, Ikeja, delivery"
    undotted = re.sub(rf"\b({_TITLES})\.(?=\s)", r"\1", masked, flags=re.I)  # "Engr. Ibe"
    segments = [s.strip(" -•:") for s in re.split(_SEGMENT_END, undotted)]
    streety = any(STREET.search(x) for x in segments if x.strip())
    i = 0
    n = len(segments)
    while i < n:
        seg = segments[i]
        if not seg:
            i += 1
            continue
        if address is None and _looks_like_address(seg) and not NAME_INTRO.search(seg):
            parts = [re.sub(r"^(?:and\s+)?(?:my\s+)?address\s*(?:is|:)?\s*", "", seg, flags=re.I)]
            if i > 0 and _UNIT.fullmatch(segments[i - 1]):
                parts.insert(0, segments[i - 1])  # "Flat 3, 10 Allen Avenue": the flat too
            j = i + 1
            while j < n and segments[j] and _place_part(segments[j]):
                parts.append(segments[j])
                j += 1
            address = _strip_address(", ".join(parts))
            i = j
            continue
        bare = re.fullmatch(_NAME_WORDS, seg)
        if (
            name is None
            and bare
            and len([s for s in segments if s]) > 1
            and (phones or (awaiting == "name" and not streety))
            and not (address and seg.lower() in address.lower())
            and not STREET.search(seg)
            and not PICKUP.search(seg)
            and not DELIVERY.search(seg)
            and seg.lower() not in NOT_NAME_LINES
        ):
            name = clean_name(seg)
        i += 1

    body = masked.replace("\x00", " ").strip()
    titled = re.fullmatch(rf"{_TITLES}\.?\s+[A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z'\-]+)?", body, re.I)
    if name is None and titled:
        name = clean_name(body)  # "Mrs Wike", whatever was asked
    filler = set(re.findall(r"[a-z']+", body.lower())) <= _FILLER
    if awaiting == "address" and address is None and not phones and not filler:
        cleaned = re.sub(PICKUP, "", re.sub(DELIVERY, "", body)) if method else body
        cleaned = re.sub(r"^(?:it'?s|na|at|to|for)\s+", "", cleaned.strip(" ,.:"), flags=re.I)
        if len(cleaned) >= 4 and (
            STREET.search(cleaned) or re.search(r"\d", cleaned) or len(cleaned.split()) >= 2
        ):
            address = _strip_address(cleaned)
    if awaiting == "name" and name is None and not phones and address is None and not filler:
        words = body.strip(" .!").split()
        if (
            1 <= len(words) <= 4
            and body.lower().strip(" .!") not in NOT_NAME_LINES
            and not STREET.search(body)
            and not method
        ):
            name = clean_name(body.strip(" .!"))
    if name and address and name.lower() in address.lower():
        name = None if address.lower().startswith(name.lower()) else name
    return Details(name=name, phone=phone, address=address, method=method)
