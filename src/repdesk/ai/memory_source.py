"""A knowledge source held in memory: the demo business for ``repdesk eval``, and tests.

Scoring is plain BM25 over stemmed words with the engine's synonyms, normalised to 0..1;
FAQs and policies are searched before general knowledge, as the seed says.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from repdesk.ai.engine import semantic
from repdesk.ai.engine.base import DeliveryOption, Fact, Product, Variant
from repdesk.ai.engine.text import content_terms, expand, term_set
from repdesk.knowledge.chunking import Unit, units


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
        self._fact_vectors: dict[str, Any] = {}
        self._vocabulary: frozenset[str] | None = None

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
        hi = max((s for s, _ in scored), default=0.0) or 1.0
        lexical = {i: s / hi for s, i in scored}
        semantic = await self._semantic(query, kinds)
        if semantic is not None:
            # Retrieval's fusion: 0.2 lexical + 0.8 cosine similarity.
            fused = [
                (0.2 * lexical.get(i, 0.0) + 0.8 * sem, i)
                for i, sem in semantic.items()
                if sem > 0 or i in lexical
            ]
        else:
            fused = [(lexical[i], i) for _, i in scored]
        fused.sort(key=lambda t: (-t[0], t[1]))
        out = []
        for s, i in fused[:k]:
            f = self.facts[i]
            meta = {**f.metadata, "lexical": round(lexical.get(i, 0.0), 4)}
            if semantic is not None:
                meta["semantic"] = round(semantic[i], 4)
            out.append(Fact(f.kind, f.id, f.title, f.text, round(s, 4), f.source_id, meta))
        return out

    async def _semantic(self, query: str, kinds: tuple[str, ...] | None) -> dict[int, float] | None:
        if not self.facts or not semantic.enabled():
            return None
        qv = await semantic.embed_query(query)
        vectors = await self._vectors()
        if qv is None or vectors is None:
            return None
        sims = (vectors @ qv).tolist()
        return {
            i: max(0.0, float(x))
            for i, x in enumerate(sims)
            if not kinds or self.facts[i].kind in kinds
        }

    async def _vectors(self) -> Any:
        """The facts' vectors, embedded once per model (as the index stores them)."""
        model = semantic.model_name()
        if model is None:
            return None
        if model not in self._fact_vectors:
            inputs = [
                f.text if f.text.startswith(f.title) else f"{f.title}\n{f.text}" for f in self.facts
            ]
            vectors = await semantic.embed_texts(inputs)
            if vectors is None:
                return None
            self._fact_vectors[model] = vectors
        return self._fact_vectors[model]

    async def products(self) -> list[Product]:
        return self._products

    async def vocabulary(self) -> frozenset[str]:
        if self._vocabulary is None:
            texts = [f"{f.title} {f.text}" for f in self.facts]
            texts += [
                f"{p.name} {p.description} {' '.join(v.name for v in p.variants)}"
                for p in self._products
            ]
            self._vocabulary = frozenset(term_set("\n".join(texts)))
        return self._vocabulary

    @classmethod
    def from_demo(cls, data: dict[str, Any]) -> MemorySource:
        facts: list[Fact] = []
        for i, item in enumerate(data.get("faqs", [])):
            facts += _faq_facts("faq", f"faq{i}", item["question"], item["answer"])
        for i, item in enumerate(data.get("policies", [])):
            facts += _faq_facts("policy", f"pol{i}", item["title"], item["content"])
        for i, item in enumerate(data.get("knowledge", [])):
            # One fact per sentence, row or line, as the knowledge index stores it.
            found = units(item["content"]) or [Unit(item["content"], "", item["content"])]
            for j, u in enumerate(found):
                facts.append(
                    Fact(
                        "knowledge",
                        f"kn{i}:{j}",
                        item["title"],
                        u.text,
                        0.0,
                        f"kn{i}",
                        {"context": u.context},
                    )
                )
        return cls(facts, demo_products(data))


def _faq_facts(kind: str, fid: str, question: str, answer: str) -> list[Fact]:
    """As knowledge.service.faq_chunks indexes them: whole, then each sentence of a longer
    answer."""
    facts = [Fact(kind, fid, question, answer, 0.0, fid)]
    parts = units(answer)
    if len(parts) > 1:
        facts += [
            Fact(
                kind,
                f"{fid}:{j}",
                question,
                u.text,
                0.0,
                fid,
                {"answer": u.text, "whole": answer, "unit": True, "context": u.context},
            )
            for j, u in enumerate(parts)
        ]
    return facts


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
