"""Finding the products, variants and quantities a customer names (pure functions)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from repdesk.ai.engine.base import Product, Variant
from repdesk.ai.engine.intents import NUMBER_WORDS
from repdesk.ai.engine.text import STOP, stem, tokens

SIZE_ALIASES = {
    "xs": "extra small",
    "s": "small",
    "m": "medium",
    "l": "large",
    "xl": "extra large",
    "xxl": "2xl",
    "2xl": "xxl",
}


@dataclass
class Mention:
    product: Product
    variant: Variant | None
    quantity: int | None
    score: float
    position: int


def _name_terms(name: str) -> list[str]:
    return [stem(t) for t in tokens(name) if t not in STOP]


_indexes: dict[int, tuple[list[Product], CatalogIndex]] = {}


def catalog_index(products: list[Product]) -> CatalogIndex:
    """The index of a product list, built once per list (sources hand out the same list
    until the catalog changes; products are immutable)."""
    hit = _indexes.get(id(products))
    if hit is not None and hit[0] is products:
        return hit[1]
    index = CatalogIndex(products)
    _indexes[id(products)] = (products, index)
    while len(_indexes) > 256:
        _indexes.pop(next(iter(_indexes)))
    return index


class CatalogIndex:
    def __init__(self, products: list[Product]) -> None:
        self.products = products
        df: dict[str, int] = {}
        self.terms: dict[str, list[str]] = {}
        for p in products:
            terms = _name_terms(p.name)
            self.terms[p.id] = terms
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        n = max(len(products), 1)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self.vocabulary = set(df)
        for p in products:
            for v in p.variants:
                self.vocabulary |= _variant_terms(v.name)
        self._name_models = {t for ts in self.terms.values() for t in ts if _is_model(t)}

    def _counts(self, term: str, stems: list[str], terms: list[str]) -> bool:
        """A number in a product's name ("3 tier", "iPhone 13") counts only next to another
        word of that name: "3 meat pies" is a quantity, "20% off" a percentage."""
        if not term.isdigit():
            return True
        others = set(terms) - {term}
        for i, s in enumerate(stems):
            if s == term and (
                (i > 0 and stems[i - 1] in others)
                or (i + 1 < len(stems) and stems[i + 1] in others)
            ):
                return True
        return False

    def _same_model(self, words: list[str], product: Product) -> bool:
        """False when the question names another model ("A55", "iPhone 12") than this
        product's ("A54", "iPhone 11"); its own options ("128GB") are no other model."""
        terms = self.terms[product.id]
        mine = {t for t in terms if _is_model(t)}
        if not mine:
            return True
        own = mine | {t for v in product.variants for t in _variant_terms(v.name)}
        names = set(terms)
        stems = [stem(w) for w in words]
        for i, w in enumerate(words):
            if not _is_model(w) or w in own:
                continue
            if w.isdigit() and not (i > 0 and stems[i - 1] in names):
                continue  # "4 infinix hot 30": a quantity before the name, not a model
            if w.isdigit() and i + 1 < len(words) and words[i + 1] in QUANTITY_UNITS:
                continue  # "the Camry 2010 pads, 2 sets": a quantity after the name
            near = stems[max(0, i - 2) : i] + stems[i + 1 : i + 3]
            if not names & set(near):
                continue  # a number elsewhere in the message (another product's, a quantity)
            if w in self._name_models:
                return False  # another product's model
            shaped = re.fullmatch(r"[a-z]{1,3}\d{1,4}[a-z]?", w) and not re.fullmatch(
                r"\d+(gb|tb|mb|w|mah|kg|g|ml|l|cl|cm|inch|in)", w
            )
            after_name = i > 0 and stems[i - 1] in names and w.isdigit()
            if shaped or after_name:
                return False
        return True

    def _qualified(self, term: str, stems: list[str]) -> bool:
        """A single shared word with a modifier the product lacks ("gluten-free bread" is not
        "Banana Bread Loaf")."""
        i = stems.index(term)
        if i == 0:
            return False
        before = stems[i - 1]
        return before in _QUALIFIERS or (before.endswith(("free", "less")) and len(before) > 4)

    def match(self, text: str) -> list[Mention]:
        words = tokens(text)
        stems = [stem(w) for w in words]
        found: list[Mention] = []
        for p in self.products:
            terms = self.terms[p.id]
            if not terms:
                continue
            total = sum(self.idf[t] for t in terms)
            hit = [t for t in terms if t in stems and self._counts(t, stems, terms)]
            if not hit or all(t.isdigit() for t in hit):
                continue
            if not self._same_model(words, p):
                continue
            score = sum(self.idf[t] for t in hit) / total
            strongest = max(self.idf[t] for t in terms)
            # Enough of the name, or its most distinctive word.
            if score < 0.5 and not any(self.idf[t] >= strongest for t in hit):
                continue
            if score < 0.5 and len(hit) == 1 and self._qualified(hit[0], stems):
                continue
            position = min(stems.index(t) for t in hit)
            variant = match_variant(text, p)
            # The quantity is before the name's most distinctive word ("wash 5 bedsheets").
            key = stems.index(max(hit, key=lambda t: self.idf[t]))
            qty = quantity_before(words, key) if key != position else None
            qty = qty or quantity_before(words, position)
            found.append(Mention(p, variant, qty, score, position))
        if not found:
            return []
        # A product named in full beats one that only shares a word with it.
        hits = {id(m): {t for t in self.terms[m.product.id] if t in stems} for m in found}
        keep = [
            m
            for m in found
            if not any(
                o is not m and o.score > m.score and hits[id(m)] <= hits[id(o)] for o in found
            )
        ]
        keep.sort(key=lambda m: m.position)
        return keep


# Words that make the number before them a quantity ("2 pieces", "3 cartons").
_UNIT_WORDS = (
    "pieces piece pcs pc sets set units unit pairs pair packs pack cartons carton "
    "bags bag yards yard tins tin boxes box bottles bottle crates crate dozen rolls "
    "roll packets packet plates plate portions portion wraps wrap x times"
)
QUANTITY_UNITS = frozenset(_UNIT_WORDS.split())
_UNITS_RX = "|".join(sorted(QUANTITY_UNITS - {"times"}, key=len, reverse=True))


_WITH_UNIT = re.compile(
    r"(?:\bx\s?|\bqty:?\s*|\bquantity:?\s*)(\d{1,3})\b|\b(\d{1,3})\s*(?:of\s+them|"
    + _UNITS_RX
    + r")\b"
)


_NEUTRAL = frozenset(
    {
        "the",
        "a",
        "an",
        "your",
        "this",
        "that",
        "one",
        "some",
        "big",
        "small",
        "large",
        "medium",
        "little",
        "whole",
        "fresh",
        "new",
        "nice",
        "original",
        "real",
        "good",
        "best",
        "cheap",
        "my",
        "smaller",
        "smallest",
        "bigger",
        "biggest",
        "larger",
        "largest",
        "cheaper",
        "cheapest",
        "other",
        "another",
        "same",
    }
)


_QUALIFIERS = frozenset(
    {
        "free",
        "gluten",
        "sugar",
        "vegan",
        "organic",
        "wholemeal",
        "wheat",
        "diet",
        "mini",
        "electric",
        "wireless",
        "used",
        "fake",
        "refurbished",
        "kid",
        "kids",
        "baby",
        "men",
        "women",
        "ladies",
        "children",
    }
)


def _is_model(token: str) -> bool:
    return bool(re.search(r"\d", token)) and len(token) <= 8


def _variant_terms(name: str) -> set[str]:
    return {stem(t) for t in tokens(name)}


def match_variant(text: str, product: Product) -> Variant | None:
    if not product.variants:
        return None
    low = text.lower()
    words = set(tokens(low))
    stems = {stem(w) for w in words}
    # "size 42", "size M"
    size = re.search(r"\bsize\s*:?\s*([a-z0-9]+)\b", low)
    best: tuple[float, Variant | None] = (0.0, None)
    for v in product.variants:
        vname = v.name.lower()
        vterms = _variant_terms(vname) - {"size"}
        if not vterms:
            continue
        if vname in SIZE_ALIASES:
            # "S", "M", "XL": only as written in capitals, or after "size"
            capital = rf"(?<![A-Za-z0-9'’]){re.escape(v.name.upper())}(?![A-Za-z0-9])"
            score = 1.0 if re.search(capital, text) or (size and size.group(1) == vname) else 0.0
            full = SIZE_ALIASES.get(vname)
            if full and re.search(rf"\b{full}\b", low):
                score = 1.0
        elif re.search(rf"(?<![a-z0-9]){re.escape(vname)}(?![a-z0-9])", low):
            score = 1.0 + len(vname) / 100
        else:
            score = len(vterms & stems) / len(vterms)
            if size:
                alias = SIZE_ALIASES.get(size.group(1), size.group(1))
                if alias == vname or size.group(1) == vname or alias in vterms:
                    score = max(score, 1.0)
            for short, full in SIZE_ALIASES.items():
                if (
                    full == vname
                    and re.search(rf"(?<![a-z]){short}(?![a-z])", text)
                    and (re.search(rf"\b{short.upper()}\b", text) or size)
                ):
                    score = max(score, 0.9)
        if score > best[0]:
            best = (score, v)
    return best[1] if best[0] >= 0.5 else None


def quantity_before(words: list[str], position: int) -> int | None:
    for i in range(position - 1, max(position - 4, -1), -1):
        w = words[i]
        if w in ("and", "or", "with", "plus", "a", "an"):
            return None  # "a Tecno Spark 10 and an iPhone charger": the 10 is the phone's
        if w.isdigit() and 0 < int(w) < 1000:
            return int(w)
        if w.startswith("x") and w[1:].isdigit():
            return int(w[1:])
        if w in NUMBER_WORDS and w not in ("a", "an"):
            return NUMBER_WORDS[w]
    return None


def quantity_with_unit(text: str) -> int | None:
    """A quantity said with its unit ("3 of them", "2 packs", "x2"), in a message of any length."""
    m = _WITH_UNIT.search(text.lower())
    return int(m.group(1) or m.group(2)) if m else None


def quantity_anywhere(text: str) -> int | None:
    low = text.lower()
    m = re.search(
        r"(?:\bx\s?|\bqty:?\s*|\bquantity:?\s*)(\d{1,3})\b|\b(\d{1,3})\s*(?:of\s+them|"
        + _UNITS_RX
        + r")\b",
        low,
    )
    if m:
        return int(m.group(1) or m.group(2))
    m = re.search(
        r"\b(?:make\s+it|i\s+want|i\s+need|give\s+me|just|i'?ll\s+take|i\s+will\s+take|"
        r"i\s+go\s+take|send\s+me)\s+(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)\b",
        low,
    )
    if m:
        v = m.group(1)
        return int(v) if v.isdigit() else NUMBER_WORDS[v]
    words = tokens(low)
    nums = [int(w) for w in words if w.isdigit() and 0 < int(w) < 100]
    if len(nums) == 1 and len(words) <= 3:
        return nums[0]
    for w in words:
        if w in NUMBER_WORDS and w not in ("a", "an") and len(words) <= 3:
            return NUMBER_WORDS[w]
    return None
