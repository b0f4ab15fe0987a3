"""Texting spellings and Nigerian Pidgin rewritten to plain English before a question is
embedded or matched ("hw much be d cake" -> "how much is the cake", "where una dey" ->
"where are you located"). A lexical aid only: the meaning is still decided by similarity."""

from __future__ import annotations

import re

# Phrases first (longest wins), then single words.
_PHRASES: list[tuple[str, str]] = [
    (r"where\s+(?:una|you|u)\s+dey(?:\s+for)?", "where are you located"),
    (r"where\s+(?:una|your)\s+(?:shop|office|store)\s+dey", "where is your shop located"),
    (r"(?:una|you|u)\s+dey\s+open", "are you open"),
    (r"(?:una|you|u)\s+dey\s+(?:deliver|bring|send|carry)", "do you deliver"),
    (r"(?:una|you|u)\s+dey\s+(?:sell|get)", "do you sell"),
    (r"(?:una|you|u)\s+dey\s+(?:collect|take|accept)", "do you accept"),
    (r"(?:una|you|u)\s+(?:get|fit\s+get)", "do you have"),
    (r"(?:una|you|u)\s+fit", "can you"),
    (r"e\s+(?:still\s+)?(?:dey|remain)", "is it available"),
    (r"e\s+get", "is there"),
    (r"how\s+much\s+(?:be|na)", "how much is"),
    (r"na\s+how\s+much", "how much is"),
    (r"wetin\s+be", "what is"),
    (
        r"(?:una|u)(?=\s+(?:address|shop|store|office|number|phone|line|account|location|price|"
        r"prices|menu|hours|delivery|rider|bank|email|website|page|instagram)\b)",
        "your",
    ),
    (r"wetin\s+(?:una|you)", "what do you"),
    (r"how\s+far", "hello"),
    (r"i\s+wan", "i want to"),
    (r"make\s+i", "can i"),
    (r"i\s+go\s+come", "i will come to"),
    (r"(?:bring|send|carry)\s+am\s+come", "deliver it to me"),
    (r"how\s+(?:una|you)\s+dey\s+take", "how do you take"),
    (r"how\s+many\s+days\s+e\s+(?:go\s+)?take", "how many days does it take"),
    (r"e\s+go\s+take", "it will take"),
    (r"no\s+dey", "is not"),
    (
        r"christmas(?:\s+day)?|boxing\s+day|new\s+year'?s?(?:\s+day)?|easter(?:\s+monday)?|"
        r"good\s+friday|sallah|eid(?:\s+el[\s-]\w+)?|independence\s+day|workers'?\s+day",
        "public holiday",
    ),
    (r"(?:any|some)\s+(?:reduction|cut|slash)", "any discount"),
    (r"last\s+price", "discount price"),
    (r"(\d{1,2})\s*%\s*off", r"a discount of \1%"),
    (r"never\s+(?:reach|arrive|come)", "has not arrived"),
    (r"(?:yarn|talk)\s+(?:with|to)\s+(?:person|somebody|human)", "talk to a person"),
    (r"don\s+(?:close|open|finish)", "has closed"),
]
_WORDS: dict[str, str] = {
    "hw": "how",
    "tym": "time",
    "tyme": "time",
    "satday": "saturday",
    "sat": "saturday",
    "sun": "sunday",
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "wkday": "weekday",
    "wkend": "weekend",
    "weekday": "weekday (monday to friday)",
    "weekdays": "weekdays (monday to friday)",
    "reduction": "discount",
    "hmuch": "how much",
    "howmuch": "how much",
    "wat": "what",
    "wht": "what",
    "wetin": "what",
    "wen": "when",
    "wia": "where",
    "wer": "where",
    "wea": "where",
    "una": "you",
    "u": "you",
    "ya": "you",
    "ur": "your",
    "yr": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plss": "please",
    "abeg": "please",
    "biko": "please",
    "d": "the",
    "da": "the",
    "dis": "this",
    "dat": "that",
    "dem": "them",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "2moro": "tomorrow",
    "2mrw": "tomorrow",
    "2day": "today",
    "2nite": "tonight",
    "nd": "and",
    "n": "and",
    "wan": "want",
    "sabi": "know",
    "dey": "is",
    "na": "is",
    "wey": "that",
    "fit": "can",
    "comot": "leave",
    "chop": "food",
    "pikin": "child",
    "oga": "manager",
    "cos": "because",
    "coz": "because",
    "bcos": "because",
    "thx": "thanks",
    "tnx": "thanks",
    "ppl": "people",
    "pple": "people",
    "msg": "message",
    "pic": "picture",
    "pics": "pictures",
    "pix": "pictures",
    "gimme": "give me",
    "wanna": "want to",
    "gonna": "going to",
    "abt": "about",
    "btw": "by the way",
    "avail": "available",
    "avl": "available",
    "deliv": "delivery",
    "del": "delivery",
    "addr": "address",
    "loc": "location",
    "num": "number",
    "k": "ok",
    "kk": "ok",
    "am": "it",
}
# Words that say nothing in English: dropped.
_DROP = {"o", "oh", "sha", "sef", "shey", "abi", "jare", "ehn", "ehen", "oya", "biko", "nau"}
_TOKEN = re.compile(r"[\w'₦%]+|[^\w\s]", re.U)
_PHRASE_RX = [(re.compile(rf"\b{p}\b", re.I), r) for p, r in _PHRASES]


def to_english(text: str) -> str:
    return _phrases(_words(_phrases(text.strip())))


def _phrases(out: str) -> str:
    for rx, repl in _PHRASE_RX:
        out = rx.sub(repl, out)
    return out


def _words(out: str) -> str:
    words: list[str] = []
    for tok in _TOKEN.findall(out):
        low = tok.lower()
        if low in _DROP:
            continue
        if low == "am" and words and words[-1].lower() in ("i",):
            words.append(tok)  # "I am"
            continue
        words.append(_WORDS.get(low, tok))
    joined = " ".join(words)
    return re.sub(r"\s+([?.!,])", r"\1", joined).strip()
