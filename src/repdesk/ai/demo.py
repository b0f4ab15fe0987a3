"""The demo business (``repdesk demo``, ``repdesk eval``): a Lagos fashion and beauty shop."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DEMO_PATH = Path(__file__).parent / "demo_data.json"


@lru_cache(maxsize=1)
def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
    return data
