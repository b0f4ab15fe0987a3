"""Delivery or pickup by meaning: when the wording matches none of ``order_details``'
patterns ("my truck will come and load it"), the nearest of a few example phrases in English
and Pidgin decides, if it is close enough and clearly nearer than the other side's."""

from __future__ import annotations

import numpy as np

from repdesk.ai.engine import semantic

PICKUP_EXAMPLES = (
    "I will come and pick it up myself",
    "I'll collect it from your shop",
    "I'll come to your store to get it",
    "someone will come and get it from you",
    "my driver will come for it",
    "I'll stop by and take it",
    "I go come carry am",
    "I go come take am for your shop",
    "make I come collect am",
    "I will get it in person",
)
DELIVERY_EXAMPLES = (
    "please deliver it to me",
    "bring it to my house",
    "send it to my address",
    "I want it delivered",
    "I can't come, send it to me",
    "your rider can drop it at my place",
    "dispatch it to me",
    "make una bring am come my house",
    "send am give me",
    "carry am come meet me",
)
MIN_SIMILARITY = 0.5  # the nearest example
MARGIN = 0.05  # ... nearer than the other side's nearest by this much


async def method_by_meaning(text: str) -> str | None:
    """ "pickup", "delivery" or None (no embeddings, or neither clearly meant)."""
    if not semantic.enabled() or not text.strip():
        return None
    query = await semantic.embed_query(text)
    examples = await semantic.embed_texts([*PICKUP_EXAMPLES, *DELIVERY_EXAMPLES])
    if query is None or examples is None:
        return None
    sims = examples @ np.asarray(query, dtype=np.float32)
    pickup = float(sims[: len(PICKUP_EXAMPLES)].max())
    delivery = float(sims[len(PICKUP_EXAMPLES) :].max())
    best, other, method = max((pickup, delivery, "pickup"), (delivery, pickup, "delivery"))
    if best >= MIN_SIMILARITY and best - other >= MARGIN:
        return method
    return None
