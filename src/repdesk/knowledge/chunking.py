"""Knowledge split into the units a customer's question is answered by: one sentence, one
list item, one table row, one "Sunday: 12pm-5pm" line, each with the heading it sits under
("Delivery fees", a table's column names), so that a fee is found and quoted with its zone
and an opening time with its day, not as a whole document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(₦$#*])")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦]|\d{1,2}[.)])\s+")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
MAX_UNIT = 600
MIN_SENTENCE = 30


@dataclass(frozen=True)
class Unit:
    text: str  # what is indexed and quoted: the context first when the line needs it
    context: str  # the heading or column names it sits under ("" when none)
    body: str  # the line or sentence itself


def _cells(line: str) -> list[str]:
    row = line.strip().strip("|")
    return [c.strip() for c in row.split("|")]


def _is_header_line(line: str, nxt: str) -> bool:
    s = line.strip()
    if not s or not nxt.strip():
        return False
    if _HEADING.match(s):
        return True
    if s.endswith(":") and len(s) <= 80:
        return True
    words = s.split()
    return (
        len(s) <= 50
        and len(words) <= 6
        and not re.search(r"[.!?,;:]$", s)
        and not re.search(r"\d", s)
        and (bool(_BULLET.match(nxt)) or "|" in nxt or bool(re.match(r"^[^:]{1,40}:\s*\S", nxt)))
    )


def _split_long(text: str) -> list[str]:
    out = []
    while len(text) > MAX_UNIT:
        cut = text.rfind(" ", 0, MAX_UNIT)
        cut = cut if cut > MAX_UNIT // 2 else MAX_UNIT
        out.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        out.append(text)
    return out


def _sentences(paragraph: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE.split(paragraph) if p.strip()]
    merged: list[str] = []
    for p in parts:
        # "Yes." or "Closed." alone says nothing: keep it with the sentence before
        if merged and (len(p) < MIN_SENTENCE or len(merged[-1]) < MIN_SENTENCE // 2):
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    return merged


def units(text: str) -> list[Unit]:
    """The answerable units of a document, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[Unit] = []
    header = ""
    columns: list[str] = []
    paragraph: list[str] = []

    def add(body: str, context: str) -> None:
        body = re.sub(r"\s+", " ", body).strip()
        if not body:
            return
        for piece in _split_long(body):
            needs = context and context.lower().rstrip(":") not in piece.lower()
            shown = f"{context.rstrip(':')}: {piece}" if needs else piece
            out.append(Unit(shown, context.rstrip(":"), piece))

    def flush() -> None:
        if paragraph:
            for s in _sentences(" ".join(paragraph)):
                add(s, header)
            paragraph.clear()

    for i, raw in enumerate(lines):
        line = raw.strip()
        nxt = next((ln for ln in lines[i + 1 :] if ln.strip()), "")
        if not line:
            flush()
            columns = []
            # A heading covers the lines under it, not the next plain paragraph.
            if nxt and not (
                _BULLET.match(nxt) or "|" in nxt or re.match(r"^\s*[^:]{1,40}:\s*\S", nxt)
            ):
                header = ""
            continue
        if _TABLE_SEP.match(line):
            continue
        if "|" in line and line.count("|") >= 1 and len(_cells(line)) >= 2:
            flush()
            cells = _cells(line)
            if not columns and _TABLE_SEP.match(lines[i + 1].strip() if i + 1 < len(lines) else ""):
                columns = cells
                continue
            if columns and len(columns) == len(cells):
                body = ", ".join(f"{c}: {v}" for c, v in zip(columns, cells, strict=True) if v)
            else:
                body = " | ".join(c for c in cells if c)
            add(body, header)
            continue
        m = _HEADING.match(line)
        if m or _is_header_line(line, nxt):
            flush()
            header = (m.group(1) if m else line).strip().rstrip(":")
            columns = []
            continue
        if _BULLET.match(line) or (re.match(r"^[^:]{1,40}:\s*\S", line) and len(line) <= 200):
            flush()
            add(_BULLET.sub("", line), header)
            continue
        paragraph.append(line)
    flush()
    return out
