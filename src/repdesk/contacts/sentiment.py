"""Offline sentiment of a customer's message: a small lexicon of English, common Nigerian Pidgin
and emoji, with negation ("not good", "e no sweet").

A message scores ``(positive hits - negative hits) / (positive hits + negative hits)``, in
-1.0 .. 1.0, or ``None`` when it holds no sentiment word (a question about delivery says
nothing about how the customer feels, and must not pull their score towards neutral).
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


POSITIVE_WORDS = _words(
    """good great thanks thank thankyou tnx thx love loved lovely like liked nice fine sweet
    correct sharp happy glad perfect amazing awesome excellent wonderful beautiful fast quick
    best cool brilliant superb fantastic satisfied impressed recommend helpful kind pleased
    gbam oshey osheey baddest sabi enjoy enjoyed bless blessed welldone"""
)
NEGATIVE_WORDS = _words(
    """bad poor terrible horrible worst awful angry annoyed annoying disappointed disappointing
    late delay delayed scam fraud fake rubbish nonsense useless broken damaged wrong complain
    complaint wahala yeye mumu ode vex vexed shege olodo stupid waste wasted slow rude
    unhappy hate hated sad problem issue refund cheat cheated thief ripoff tired frustrated"""
)
# Pidgin and English phrases, matched on the lowered text before the words.
POSITIVE_PHRASES = (
    "e choke",
    "e sweet",
    "e make sense",
    "na correct",
    "i like am",
    "i love am",
    "well done",
    "god bless",
    "thank you",
    "e fine",
    "no wahala",
    "sharp sharp",
    "you try",
)
NEGATIVE_PHRASES = (
    "e no good",
    "e no work",
    "no dey work",
    "e no sweet",
    "i dey vex",
    "wetin be this",
    "nawa o",
    "nawa for una",
    "una no serious",
    "no be am",
    "too cost",
    "never reach",
    "no reach",
)
POSITIVE_EMOJI = frozenset("😀😃😄😁😊🙂😍🥰😘👍👏🙏❤💯🔥✨🎉🤗😎💪🥳")
NEGATIVE_EMOJI = frozenset("😡😠🤬😞😢😭😤👎💔😒🙄😩😫🤮😣")
NEGATORS = _words("not no never isn't wasn't don't didn't doesn't nor")

_WORD = re.compile(r"[a-z']+")


def score_text(text: str) -> float | None:
    """The message's sentiment in -1.0 .. 1.0, or None when it carries none."""
    lowered = (text or "").lower()
    pos = neg = 0
    for phrases, sign in ((NEGATIVE_PHRASES, -1), (POSITIVE_PHRASES, 1)):
        for phrase in phrases:
            count = lowered.count(phrase)
            if count:
                lowered = lowered.replace(phrase, " ")
                if sign > 0:
                    pos += count
                else:
                    neg += count
    words = _WORD.findall(lowered)
    for i, word in enumerate(words):
        polarity = 1 if word in POSITIVE_WORDS else -1 if word in NEGATIVE_WORDS else 0
        if not polarity:
            continue
        if i and words[i - 1] in NEGATORS:  # "not good", "no problem" read the other way
            polarity = -polarity
        if polarity > 0:
            pos += 1
        else:
            neg += 1
    for char in text or "":
        if char in POSITIVE_EMOJI:
            pos += 1
        elif char in NEGATIVE_EMOJI:
            neg += 1
    if pos + neg == 0:
        return None
    return (pos - neg) / (pos + neg)
