"""The evaluation file schema refuses repeated names and ids, and its lists are its types'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from repdesk.ai.eval.schema import CATEGORIES, ORDER_TAGS, Business, Category, OrderTag

SETS = Path(__file__).resolve().parents[2] / "src/repdesk/ai/eval/sets/v2"


def test_repeated_product_names_and_case_ids_are_refused() -> None:
    good = json.loads((SETS / "tune" / "bakery_surulere.json").read_text())
    Business.model_validate(good)
    twin = json.loads(json.dumps(good))
    twin["products"].append(dict(twin["products"][0]))
    with pytest.raises(ValidationError, match="product names repeat"):
        Business.model_validate(twin)
    again = json.loads(json.dumps(good))
    again["questions"][1]["id"] = again["questions"][0]["id"]
    with pytest.raises(ValidationError, match="case ids repeat"):
        Business.model_validate(again)


def test_the_category_and_tag_lists_are_the_literal_types() -> None:
    assert get_args(Category) == CATEGORIES and "adversarial" in CATEGORIES
    assert get_args(OrderTag) == ORDER_TAGS and "plus_234_phone" in ORDER_TAGS
