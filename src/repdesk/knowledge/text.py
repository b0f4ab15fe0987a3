"""Pure text helpers: tokenising for BM25, chunking documents, splitting pasted FAQ content."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "am",
        "any",
        "some",
        "just",
        "also",
        "about",
        "abeg",
    ]
)


def _stem(word: str) -> str:
    # A light, predictable English stemmer: enough to match "deliveries"/"delivery",
    # "shoes"/"shoe", "opening"/"open" without a stemming dependency.
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop words removed, lightly stemmed; numbers kept (prices, sizes)."""
    out = []
    for raw in _WORD.findall(text.lower()):
        word = raw.replace(",", "")
        if word in STOPWORDS:
            continue
        out.append(_stem(word))
    return out


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(₦$])")


def chunk_text(text: str, *, target: int = 600, hard_max: int = 900) -> list[str]:
    """Split a document into chunks of about ``target`` characters on paragraph and sentence
    boundaries, so that each chunk is one coherent passage for retrieval."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [re.sub(r"[ \t]+", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    pieces: list[str] = []
    for para in paragraphs:
        if not para:
            continue
        para = re.sub(r"\s*\n\s*", " ", para) if len(para) > target else para
        if len(para) <= hard_max:
            pieces.append(para)
            continue
        for sentence in _SENTENCE.split(para):
            while len(sentence) > hard_max:  # one enormous "sentence": cut on a space
                cut = sentence.rfind(" ", 0, hard_max)
                cut = cut if cut > target // 2 else hard_max
                pieces.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if sentence:
                pieces.append(sentence)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > target:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str


_Q_PREFIX = re.compile(r"^\s*(?:q(?:uestion)?\s*[:.)-]|\d+[.)]\s+(?=.*\?\s*$))\s*", re.I)
_A_PREFIX = re.compile(r"^\s*a(?:nswer)?\s*[:.)-]\s*", re.I)


def split_faq(content: str) -> list[QAPair]:
    """Question/answer pairs from pasted FAQ content: "Q: … A: …" blocks, or lines ending in
    a question mark followed by their answer. Returns [] when the content has no such shape."""
    lines = [ln.strip() for ln in content.replace("\r\n", "\n").split("\n")]
    pairs: list[QAPair] = []
    question: str | None = None
    answer: list[str] = []

    def flush() -> None:
        if question and answer:
            pairs.append(QAPair(question, " ".join(answer).strip()))

    for line in lines:
        if not line:
            continue
        is_q = bool(_Q_PREFIX.match(line)) and not _A_PREFIX.match(line)
        if is_q or (line.endswith("?") and len(line) <= 300 and not _A_PREFIX.match(line)):
            flush()
            question = _Q_PREFIX.sub("", line).strip()
            answer = []
        elif question is not None:
            answer.append(_A_PREFIX.sub("", line).strip())
    flush()
    return [p for p in pairs if p.question and p.answer]
