"""The one engine interface: conversation + business data in, reply messages + actions out.

Engines see the business only through a :class:`KnowledgeSource` (retrieval over knowledge,
FAQs, policies, and the catalog) and never touch sessions or ORM rows, so the same engine runs
for a customer conversation, the playground and the evaluation set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

FactKind = Literal["faq", "policy", "knowledge", "product"]


@dataclass(frozen=True)
class Fact:
    kind: str
    id: str
    title: str
    text: str
    score: float = 0.0
    source_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    id: str
    name: str
    price: int | None  # minor units; None: the product's price
    available: bool = True


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    description: str
    price: int  # minor units
    currency: str
    available: bool = True
    variants: tuple[Variant, ...] = ()

    def variant_price(self, variant: Variant | None) -> int:
        if variant is not None and variant.price is not None:
            return variant.price
        return self.price


@dataclass(frozen=True)
class DeliveryOption:
    name: str  # shown to the customer: "Pickup", "Delivery within Lagos" ...
    method: str  # pickup | delivery
    fee: int | None  # minor units; None: the team confirms the fee
    areas: tuple[str, ...] = ()  # a delivery option chosen when the address names one of these

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DeliveryOption:
        fee = d.get("fee")
        return cls(
            name=str(d.get("name") or d.get("method") or "Delivery"),
            method="pickup" if str(d.get("method")) == "pickup" else "delivery",
            fee=int(fee) if fee is not None else None,
            areas=tuple(str(a).lower() for a in (d.get("areas") or [])),
        )


class KnowledgeSource(Protocol):
    """What an engine may know about the business."""

    async def search(
        self, query: str, *, k: int = 5, kinds: tuple[str, ...] | None = None
    ) -> list[Fact]: ...

    async def products(self) -> list[Product]: ...

    async def vocabulary(self) -> frozenset[str]:
        """Every word (stemmed, ``text.term_set``) the business's data uses anywhere."""
        ...


@dataclass
class Style:
    """The parts of the style profile that shape a reply."""

    greeting: str = "Hello"
    signoff: str = ""
    address_customer: str = ""  # "dear", "sis", "boss" ...
    emoji: list[str] = field(default_factory=list)
    emoji_rate: float = 0.0  # emojis per message
    formality: str = "neutral"  # casual | neutral | formal
    pidgin: bool = False  # business mixes English with Nigerian Pidgin
    phrases: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)
    max_length: int = 600

    @classmethod
    def from_profile(cls, profile: dict[str, Any] | None) -> Style:
        p = profile or {}
        greetings = p.get("greetings") or []
        signoffs = p.get("signOffs") or []
        langs = [str(x).lower() for x in (p.get("languages") or [])]
        return cls(
            greeting=str(greetings[0]) if greetings else "Hello",
            signoff=str(signoffs[0]) if signoffs else "",
            address_customer=str(p.get("addressCustomerAs") or ""),
            emoji=[str(e) for e in (p.get("favouriteEmoji") or [])][:5],
            emoji_rate=float(p.get("emojiRate") or 0.0),
            formality=str(p.get("formality") or "neutral"),
            pidgin=any("pidgin" in x for x in langs),
            phrases=[str(x) for x in (p.get("phrases") or [])][:10],
            avoid=[str(x) for x in (p.get("avoidPhrases") or [])][:20],
            max_length=int(p.get("maxLength") or 600),
        )


@dataclass
class Turn:
    role: Literal["customer", "business"]
    text: str


@dataclass
class EngineContext:
    business_name: str
    channel: str  # whatsapp | widget | playground
    text: str  # the customer's latest message
    source: KnowledgeSource
    history: list[Turn] = field(default_factory=list)
    style: Style = field(default_factory=Style)
    examples: list[dict[str, str]] = field(default_factory=list)
    delivery: list[DeliveryOption] = field(default_factory=list)
    contact_name: str | None = None
    contact_phone: str | None = None
    currency: str = "NGN"
    country: str = "NG"  # phone numbers are read with this region (ISO 3166 alpha-2)
    # The engine's memory for this conversation (the order being collected); engines mutate it
    # and the caller stores it.
    state: dict[str, Any] = field(default_factory=dict)
    workspace_id: str | None = None
    assistant_id: str | None = None
    conversation_id: str | None = None
    # How this business takes payment: "link" (its own Paystack), "instructions" or "none";
    # and the customer's email address when known (a Paystack link needs one).
    payments: str = "none"
    contact_email: str | None = None


@dataclass
class Action:
    type: Literal["create_order", "update_order", "escalate", "tag", "payment"]
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.data}


@dataclass
class EngineResult:
    replies: list[str]
    actions: list[Action] = field(default_factory=list)
    intent: str = "unknown"
    engine: str = "builtin"
    # Texts whose facts the reply may use (for the grounding check).
    evidence: list[str] = field(default_factory=list)

    @property
    def escalated(self) -> bool:
        return any(a.type == "escalate" for a in self.actions)


class Engine(Protocol):
    name: str

    async def respond(self, ctx: EngineContext) -> EngineResult: ...
