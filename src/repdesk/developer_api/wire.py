"""Webhook bodies serialised exactly as JavaScript's ``JSON.stringify`` would write them.

The seed's receiver recomputes the HMAC over ``JSON.stringify(req.body)`` after Express parsed
the body, so the bytes we sign must be what V8 writes for the parsed value: no spaces, non-ASCII
left as UTF-8, integral numbers without ``.0``, JavaScript's number formatting, and object keys
in JavaScript's property order (integer-like keys first, ascending, then insertion order).
"""

from __future__ import annotations

import json
import math
from typing import Any

_MAX_INDEX = 2**32 - 2


def _is_array_index(key: str) -> bool:
    if not key or not key.isdigit() or not key.isascii():
        return False
    if key != "0" and key.startswith("0"):
        return False
    return int(key) <= _MAX_INDEX


def _js_number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == int(value) and abs(value) < 2**53:  # exact: JS prints the integer
        return str(int(value))
    text = repr(value)  # shortest round-trip digits, as V8 uses
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exp = text.split("e")
    exponent = int(exp)
    digits = mantissa.replace("-", "").replace(".", "")
    sign = "-" if value < 0 else ""
    point = exponent + 1  # position of the decimal point after the first digit
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits.rstrip("0")
    if 0 < point <= 21:
        digits = digits.rstrip("0") or "0"
        if len(digits) <= point:
            return sign + digits + "0" * (point - len(digits))
        return sign + digits[:point] + "." + digits[point:]
    frac = digits[1:].rstrip("0")
    mantissa = digits[0] + ("." + frac if frac else "")
    return f"{sign}{mantissa}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        # Beyond 2**53 JavaScript holds only a double: write what JSON.stringify would.
        out.append(str(value) if abs(value) < 2**53 else _js_number(float(value)))
    elif isinstance(value, float):
        out.append(_js_number(value))
    elif isinstance(value, dict):
        keys = [str(k) for k in value]
        items = {str(k): v for k, v in value.items()}
        index_keys = sorted((k for k in keys if _is_array_index(k)), key=int)
        other = [k for k in keys if not _is_array_index(k)]
        out.append("{")
        first = True
        for key in (*index_keys, *other):
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(items[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append(json.dumps(str(value), ensure_ascii=False))


def js_stringify(value: Any) -> str:
    """``JSON.stringify(value)`` for JSON-compatible Python values."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)
