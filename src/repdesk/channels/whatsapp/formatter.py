"""Assistant markdown -> WhatsApp's dialect (seed 004, "AI behavior on WhatsApp").

WhatsApp renders ``*bold*``, ``_italic_``, ``~strike~`` and ``` ```mono``` ```; it does not
render headers, tables or markdown links. So: ``**b**``/``__b__`` -> ``*b*``; ``*i*`` ->
``_i_``; ``# Title`` -> ``*Title*``; tables -> one plain line per row; ``[text](url)`` ->
``text (url)``; bullets -> ``• item``; numbered lists stay as plain numbered lines.
"""

from __future__ import annotations

import re

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADER = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\((https?://[^)\s]+)\)")
_BOLD_MARK = "\x00B\x00"


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(1) else m.group(2), text)
    text = _LINK.sub(
        lambda m: m.group(2) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text
    )
    # Bold first, protected by a marker so the italic pass does not see its asterisks.
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC_STAR.sub(lambda m: f"_{m.group(1)}_", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    text = _INLINE_CODE.sub(lambda m: m.group(1), text)
    return text.replace(_BOLD_MARK, "*")


def _table_row(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_whatsapp(markdown: str) -> str:
    lines = markdown.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    in_code = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            in_code = not in_code
            out.append("```" if in_code or out else line.strip())
            i += 1
            continue
        if in_code:
            out.append(line)
            i += 1
            continue
        # A markdown table: header row, separator row, body rows.
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            header = _table_row(line)
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                cells = _table_row(lines[i])
                pairs = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c]
                out.append(_inline(" · ".join(pairs)))
                i += 1
            continue
        m = _HEADER.match(line)
        if m:
            title = _inline(m.group(1)).strip("*")
            out.append(f"*{title}*" if title else "")
            i += 1
            continue
        m = _BULLET.match(line)
        if m and not _TABLE_SEP.match(line) and not re.match(r"^\s*([-*_])\s*\1\s*\1", line):
            out.append(f"{m.group(1)}• {_inline(m.group(2))}")
            i += 1
            continue
        if re.match(r"^\s*([-*_])(\s*\1){2,}\s*$", line):  # horizontal rule
            out.append("")
            i += 1
            continue
        out.append(_inline(line))
        i += 1
    text = "\n".join(out)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
