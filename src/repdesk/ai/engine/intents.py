"""Intent detection for customer messages in English and Nigerian Pidgin (pure functions)."""

from __future__ import annotations

import re
from typing import Any

GREETING = re.compile(
    r"^\s*(hi+|hello+|hey+|hiya|good\s+(morning|afternoon|evening|day)|morning|evening|"
    r"how\s+far|how\s+(you|una)\s+dey|how\s+body|howdy|greetings|hola|bawo|kedu|sannu|"
    r"ekaaro|ekaasan|ekaale|hellow)\b",
    re.I,
)
THANKS = re.compile(
    r"\b(thanks?|thank\s*(you|u)|thx|tnx|tanx|tanks|appreciate|well\s+done|e\s+se|nagode|daalu|"
    r"bless\s+you|much\s+love|you\s+try)\b",
    re.I,
)
BYE = re.compile(r"\b(bye|goodbye|good\s+night|see\s+you|later|ciao)\b", re.I)
HUMAN = re.compile(
    r"\b((talk|speak|chat)\s+(to|with)\s+(a|an|the|one|your)?\s*(real\s+|live\s+)?"
    r"(human|person|agent|someone|somebody|representative|rep|manager|owner|staff|oga|madam|boss)|"
    r"(real|live)\s+(human|person|agent)|customer\s+(care|service|support)|human\s+being|"
    r"(?<!can\s)(?<!may\s)call\s+me(?!\s+[a-z]+\s*$)(?!\s+(?:on|at|via|with)?\s*[+\d])|not\s+a\s+bot|connect\s+me|i\s+(want|need)\s+(a\s+)?(human|person|agent|manager)|"
    r"make\s+i\s+(talk|yarn|speak)\s+(to|with)\s+(person|una\s+oga|somebody|human)|"
    r"person\s+wey\s+(dey|go)|give\s+me\s+(a\s+)?(human|person|manager))\b",
    re.I,
)
UPSET = re.compile(
    r"\b(useless|rubbish|nonsense|stupid|scam+(er|ers)?|fraud|terrible|worst|angry|annoyed|"
    r"disappointed|disappointing|fed\s+up|not\s+happy|unhappy|ridiculous|disgusting|"
    r"wicked|thief|thieves|ole|i\s+am\s+tired|i'?m\s+tired|never\s+again|report\s+you|"
    r"where\s+is\s+my\s+(order|package|money|refund)|i\s+want\s+my\s+money|"
    r"you\s+people\s+(don|have)|una\s+no\s+serious|wetin\s+be\s+this\s+nonsense)\b",
    re.I,
)
ORDER = re.compile(
    r"\b(buy|order|ordering|purchase|i\s+want\s+(to\s+get\s+)?\d|i\s+want\s+(the|a|an|one|two|"
    r"three|this|that|your)|i'?ll\s+take|i\s+will\s+take|i\s+go\s+take|i\s+wan\s+(buy|take|"
    r"get|order)|wan\s+buy|make\s+i\s+(buy|take|order)|add\s+to\s+(cart|order)|"
    r"i'?d\s+like\s+(to\s+(buy|order|get)|the|a|an|one|two)|book\s+for\s+me|send\s+me\s+\d|"
    r"reserve|checkout|i\s+need\s+\d|i\s+need\s+(one|two|three|four|five)|give\s+me\s+\d|"
    r"put\s+me\s+down\s+for|i\s+want\s+am|i\s+go\s+buy|i'?m\s+taking|"
    r"can\s+i\s+(?:get|have|buy|order)\s+(?:\d{1,3}|two|three|four|five|six)\b)\b",
    re.I,
)
PRICE = re.compile(
    r"\b(how\s*much|hw\s+much|hmuch|price|prices|pricing|cost|costs|rate|amount|how\s+much\s+be|"
    r"wetin\s+be\s+(the\s+)?(price|cost)|na\s+how\s+much|last\s+price|discount|cheap)\b",
    re.I,
)
AVAILABLE = re.compile(
    r"\b(available|availability|in\s+stock|out\s+of\s+stock|sold\s+out|do\s+you\s+(have|sell|"
    r"stock|carry)|you\s+get|una\s+get|e\s+dey|e\s+remain|still\s+(have|get|dey)|any\s+left|"
    r"do\s+you\s+still|is\s+there\s+(any|still)|you\s+dey\s+sell|una\s+dey\s+sell|in\s+store|"
    r"restock|back\s+in\s+stock)\b",
    re.I,
)
CONFIRM = re.compile(
    r"^\s*(yes+|yeah|yea|yep|yup|ok(ay)?|sure|confirm(ed)?|correct|go\s+ahead|proceed|"
    r"na\s+so|e\s+correct|yes\s+please|that'?s\s+(right|correct)|perfect|alright|"
    r"i\s+confirm|do\s+am|oya)\b",
    re.I,
)
CANCEL = re.compile(
    r"^\s*(no+|nope|cancel|stop|forget\s+(it|am)|never\s*mind|leave\s+(it|am)|abeg\s+leave|"
    r"i\s+no\s+want\s+again|don'?t\s+bother)\b",
    re.I,
)
QUESTION = re.compile(
    r"\?|^\s*(what|when|where|which|who|why|how|do|does|did|can|could|is|are|will|would|should|"
    r"wetin|abeg|pls|please|una|you|shey|any)\b",
    re.I,
)
SMALLTALK = re.compile(
    r"\b(are\s+you\s+(a\s+)?(bot|robot|human|real|ai)|who\s+are\s+you|what'?s\s+your\s+name|"
    r"how\s+are\s+you|how\s+is\s+your\s+day|you\s+dey\s+alright|i'?m\s+(fine|good)|lol|haha|"
    r"ok+|okay|alright|cool|nice|great|wow|hmm+|👍|🙏|😊|❤️)\b",
    re.I,
)
PIDGIN = re.compile(
    r"\b(abeg|una|wetin|dey|wan|sabi|abi|shey|na\s+how|no\s+vex|e\s+remain|oya|jare|sha|"
    r"wahala|pikin|comot|ehn|o\s*$|make\s+i|i\s+go|how\s+far|waka|chop)\b",
    re.I,
)

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
    "an": 1,
    "single": 1,
    "pair": 2,
    "couple": 2,
    "dozen": 12,
}


def is_pidgin(text: str) -> bool:
    return len(PIDGIN.findall(text)) >= 1


def detect(text: str) -> list[str]:
    """Every intent the message shows, most decisive first."""
    found: list[str] = []
    if HUMAN.search(text):
        found.append("human")
    if UPSET.search(text):
        found.append("upset")
    if ORDER.search(text):
        found.append("order")
    if PRICE.search(text):
        found.append("price")
    if AVAILABLE.search(text):
        found.append("availability")
    if QUESTION.search(text):
        found.append("question")
    if GREETING.search(text):
        found.append("greeting")
    if THANKS.search(text):
        found.append("thanks")
    if BYE.search(text) and len(text.split()) <= 4:
        found.append("bye")
    if SMALLTALK.search(text):
        found.append("smalltalk")
    return found or ["unknown"]


# -- intent by nearest example ---------------------------------------------------------------
# Each intent is known by examples (English, Pidgin and texting spellings as customers write
# them; the classifier compares the message, rewritten to plain English, with each example).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "price": (
        "how much is it",
        "what is the price",
        "how much does this cost",
        "how much una dey sell am",
        "wetin be the price",
        "hw much",
        "what's your rate for this",
        "price pls",
        "how much be this one",
        "what does it go for",
    ),
    "availability": (
        "do you have this in stock",
        "is it available",
        "una get am",
        "e still dey",
        "do you sell this",
        "have you got any left",
        "is this one still available",
        "do you carry this brand",
    ),
    "location": (
        "where is your shop",
        "where are you located",
        "where una dey",
        "what is your address",
        "how do I find your store",
        "which area are you in",
        "can I visit your office",
        "send me your location",
        "whereabouts is your place",
        "what part of town are you in",
        "which street is your shop on",
        "how do I get to you",
        "wia una shop dey",
    ),
    "hours": (
        "what time do you open",
        "when do you close",
        "are you open on sunday",
        "what are your opening hours",
        "una dey open today",
        "what time do you people start in the morning",
        "till what time are you open",
        "do you work on public holidays",
        "which days are you closed",
        "how late do you stay open",
        "are you open at the weekend",
        "what days do you work",
        "what time una dey close",
    ),
    "delivery": (
        "do you deliver",
        "how much is delivery to my area",
        "how long does delivery take",
        "can you bring it to my house",
        "una dey deliver to abuja",
        "what is the delivery fee",
        "do you ship outside lagos",
        "when will my order arrive",
        "how soon will I get it",
        "how many days before it reaches me",
        "can you send it to another state",
        "una fit send am come my area",
        "will your rider bring it to me",
    ),
    "payment": (
        "how do I pay",
        "can I pay on delivery",
        "do you accept transfer",
        "what is your account number",
        "can I pay with card",
        "una dey collect cash",
        "do you take installment payment",
        "which payment methods do you accept",
        "can I pay when it arrives",
        "do you take POS",
        "which bank do I send the money to",
        "can I pay small small",
        "how I go take pay",
    ),
    "returns": (
        "can I return it",
        "what is your refund policy",
        "can I exchange it if it doesn't fit",
        "I want to return my order",
        "una dey collect back goods",
        "do you give refunds",
        "how many days do I have to return",
        "what if it doesn't fit me",
        "can I bring it back",
        "if I no like am I fit return am",
    ),
    "warranty": (
        "does it have a warranty",
        "is there a guarantee",
        "how long is the warranty",
        "if it spoil una go fix am",
        "what if it stops working",
        "is it original or fake",
        "what if it develops a fault later",
        "if it spoils after I buy it, what happens",
        "e get guarantee",
    ),
    "order": (
        "I want to buy this",
        "I'd like to order two",
        "I wan buy am",
        "let me have one",
        "put me down for three",
        "I'll take it",
        "add one to my order",
        "make I order",
    ),
    "contact": (
        "what is your phone number",
        "how can I call you",
        "what's your whatsapp number",
        "give me your number",
        "do you have an email address",
        "wetin be una number",
        "how can I reach you",
        "which line can I call",
        "abeg drop your number",
    ),
    "complaint": (
        "my order has not arrived",
        "this is bad service",
        "I am not happy with what I received",
        "the item you sent is damaged",
        "una don disappoint me",
        "I have been waiting for days",
        "you sent me the wrong item",
        "I want to complain",
    ),
    "human": (
        "can I talk to a real person",
        "let me speak to someone",
        "I want to talk to the manager",
        "make I yarn with una oga",
        "is there a human there",
        "call me please",
        "connect me to customer care",
    ),
    "smalltalk": (
        "hello",
        "good morning",
        "how are you",
        "thank you",
        "ok thanks",
        "are you a robot",
        "how far",
        "nice one",
        "bye",
    ),
}
_LABELS = [label for label, examples in EXAMPLES.items() for _ in examples]
_PHRASES = [e for examples in EXAMPLES.values() for e in examples]
# The examples' vectors, once per embedding model (the same for every message and business).
_example_vectors: dict[str, Any] = {}


async def _examples() -> Any:
    from repdesk.ai.engine import semantic
    from repdesk.ai.engine.normalise import to_english

    model = semantic.model_name()
    if model is None:
        return None
    cached = _example_vectors.get(model)
    if cached is None:
        cached = await semantic.embed_texts([to_english(p) for p in _PHRASES])
        if cached is None or not len(cached):
            return None
        _example_vectors[model] = cached
    return cached


async def classify(vector: object) -> list[tuple[str, float]]:
    """Intents by similarity of the message's vector to their nearest example, best first;
    [] without embeddings."""
    import numpy as np

    if vector is None:
        return []
    examples = await _examples()
    if examples is None:
        return []
    sims = examples @ np.asarray(vector, dtype=np.float32)
    best: dict[str, float] = {}
    for label, s in zip(_LABELS, sims.tolist(), strict=True):
        best[label] = max(best.get(label, -1.0), float(s))
    return sorted(best.items(), key=lambda kv: -kv[1])
