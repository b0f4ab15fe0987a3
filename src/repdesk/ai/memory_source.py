"""A knowledge source held in memory: the demo business for ``repdesk eval``, and tests.

Scoring is plain BM25 over stemmed words with the engine's synonyms, normalised to 0..1;
FAQs and policies are searched before general knowledge, as the seed says.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from repdesk.ai.engine.base import DeliveryOption, Fact, Product, Variant
from repdesk.ai.engine.text import content_terms, expand


class MemorySource:
    def __init__(self, facts: list[Fact], products: list[Product]) -> None:
        self.facts = facts
        self._products = products
        self._docs = [Counter(content_terms(f.title + " " + f.text)) for f in facts]
        self._len = [sum(d.values()) for d in self._docs]
        self._avg = (sum(self._len) / len(self._len)) if self._len else 1.0
        df: Counter[str] = Counter()
        for d in self._docs:
            df.update(d.keys())
        n = len(facts)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    async def search(
        self, query: str, *, k: int = 5, kinds: tuple[str, ...] | None = None
    ) -> list[Fact]:
        q = expand(content_terms(query))
        scored: list[tuple[float, int]] = []
        for i, (doc, ln) in enumerate(zip(self._docs, self._len, strict=True)):
            if kinds and self.facts[i].kind not in kinds:
                continue
            s = 0.0
            for t in q:
                tf = doc.get(t, 0)
                if tf:
                    s += self._idf[t] * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * ln / self._avg))
            if s > 0:
                scored.append((s, i))
        scored.sort(reverse=True)
        top = scored[:k]
        if not top:
            return []
        hi = top[0][0]
        out = []
        for s, i in top:
            f = self.facts[i]
            out.append(
                Fact(f.kind, f.id, f.title, f.text, round(s / hi, 4), f.source_id, f.metadata)
            )
        return out

    async def products(self) -> list[Product]:
        return self._products

    @classmethod
    def from_demo(cls, data: dict[str, Any]) -> MemorySource:
        facts: list[Fact] = []
        for i, item in enumerate(data.get("faqs", [])):
            facts.append(Fact("faq", f"faq{i}", item["question"], item["answer"]))
        for i, item in enumerate(data.get("policies", [])):
            facts.append(Fact("policy", f"pol{i}", item["title"], item["content"]))
        for i, item in enumerate(data.get("knowledge", [])):
            facts.append(Fact("knowledge", f"kn{i}", item["title"], item["content"]))
        return cls(facts, demo_products(data))


def demo_products(data: dict[str, Any]) -> list[Product]:
    out = []
    for i, p in enumerate(data.get("products", [])):
        variants = tuple(
            Variant(f"p{i}v{j}", v["name"], v.get("price"), bool(v.get("available", True)))
            for j, v in enumerate(p.get("variants") or [])
        )
        out.append(
            Product(
                f"p{i}",
                p["name"],
                p.get("description", ""),
                int(p["price"]),
                p.get("currency", "NGN"),
                bool(p.get("available", True)),
                variants,
            )
        )
    return out


def demo_delivery(data: dict[str, Any]) -> list[DeliveryOption]:
    return [DeliveryOption.from_dict(d) for d in data.get("delivery", [])]
