"""Order-taking by slot filling: items (product, variant, quantity), then name, phone, address
and delivery method, then a summary with the total, then the customer's confirmation."""

from __future__ import annotations

import re
from typing import Any

from repdesk.ai.engine import order_details
from repdesk.ai.engine.base import Action, DeliveryOption, EngineContext, Product
from repdesk.ai.engine.catalog_match import (
    catalog_index,
    match_variant,
    quantity_anywhere,
    quantity_with_unit,
)
from repdesk.ai.engine.intents import CANCEL, CONFIRM, NUMBER_WORDS
from repdesk.ai.grounding import figures
from repdesk.kit.money import format_money

DETAILS = ("name", "phone", "address", "method")
ASK = {
    "name": "your name",
    "phone": "a phone number we can reach you on",
    "address": "your delivery address",
    "method": "whether you want it delivered or you'll pick it up",
}
# Failed attempts at one detail before a person takes over.
MAX_FAILED = 2
_QTY_FIX = re.compile(
    r"\b(?:make\s+it|change\s+(?:it|that|the\s+quantity|quantity)\s+to|instead\s+of\s+\d+\s*,?\s*"
    r"(?:make\s+it|i\s+want)?|actually|i\s+want|i\s+need|give\s+me|just|only|"
    r"make\s+am|change\s+am\s+to)\s+(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"|\b(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:instead|pieces|pcs)\b",
    re.I,
)
_MORE = re.compile(
    r"\b(?:add|plus|put)\s+(\d{1,2}|one|two|three|four|five|another)\s+(?:more|extra)\b"
    r"|\b(another)\s+one\b|\bone\s+more\b()",
    re.I,
)
_REMOVE = re.compile(
    r"\b(remove|take\s+out|without|no\s+more|drop\s+the|cancel\s+the|comot)\b", re.I
)


def new_order_state() -> dict[str, Any]:
    return {
        "items": [],
        "pending": None,
        "name": None,
        "phone": None,
        "address": None,
        "method": None,
        "stage": "items",
        "awaiting": None,
        "failed": {},
    }


def extract_details(text: str, awaiting: str | None, country: str = "NG") -> dict[str, str]:
    got = order_details.extract(text, awaiting, country)
    return {k: v for k, v in vars(got).items() if v}


def choose_delivery(
    options: list[DeliveryOption], method: str, address: str | None
) -> DeliveryOption | None:
    candidates = [o for o in options if o.method == method]
    if not candidates:
        return None
    if method == "pickup":
        return candidates[0]
    addr = (address or "").lower()
    for o in candidates:
        if o.areas and any(re.search(rf"\b{re.escape(a)}\b", addr) for a in o.areas):
            return o
    fallback = [o for o in candidates if not o.areas]
    if fallback:
        return fallback[0]
    return candidates[0] if len(candidates) == 1 else None


class OrderTaker:
    def __init__(self, ctx: EngineContext, products: list[Product]) -> None:
        self.ctx = ctx
        self.products = {p.id: p for p in products}
        self.index = catalog_index(products)
        self.notes: list[str] = []

    @property
    def order(self) -> dict[str, Any]:
        order: dict[str, Any] = self.ctx.state.setdefault("order", new_order_state())
        return order

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency)

    @property
    def currency(self) -> str:
        for p in self.products.values():
            return p.currency
        return self.ctx.currency

    # -- items -----------------------------------------------------------------------------

    def add_items(self, text: str) -> bool:
        """Add or correct what the message names ("2 croissants", "make it 3", "no, the red
        one", "remove the cake"); True when the order's items changed."""
        mentions = self.index.match(text)
        order = self.order
        if not mentions:
            return self._correct(text)
        if _REMOVE.search(text) and order["items"]:
            ids = {m.product.id for m in mentions}
            before = len(order["items"])
            order["items"] = [i for i in order["items"] if i["productId"] not in ids]
            if len(order["items"]) != before:
                return True
        changed = False
        for m in mentions:
            rest = re.sub(re.escape(m.variant.name), " ", text, flags=re.I) if m.variant else text
            qty = m.quantity or (quantity_anywhere(rest) if len(mentions) == 1 else None)
            p = m.product
            if not p.available:
                self.notes.append(f"Sorry, **{p.name}** is out of stock at the moment.")
                continue
            existing = [i for i in order["items"] if i["productId"] == p.id]
            if p.variants and m.variant is None:
                if existing and len(existing) == 1:
                    if qty and existing[0]["quantity"] != qty:
                        existing[0]["quantity"] = qty
                        changed = True
                    continue
                order["pending"] = {"productId": p.id, "quantity": qty or 1}
                changed = True
                continue
            if m.variant is not None and not m.variant.available:
                others = [v.name for v in p.variants if v.available]
                alt = f" We have {', '.join(others)}." if others else ""
                self.notes.append(f"Sorry, **{p.name}** in {m.variant.name} is out of stock.{alt}")
                if others:
                    order["pending"] = {"productId": p.id, "quantity": qty or 1}
                    changed = True
                continue
            if existing and len(existing) == 1 and _is_correction(text):
                # "no, the red one": the same line with another variant
                item = existing[0]
                self._set_variant(item, p, m.variant)
                if qty:
                    item["quantity"] = qty
                changed = True
                continue
            self._add(p, m.variant, qty or (existing[0]["quantity"] if existing else 1))
            changed = True
        return changed

    def _correct(self, text: str) -> bool:
        """A message naming no product: a variant for the pending product, another variant
        or quantity for an item already in the order."""
        order = self.order
        pending = order.get("pending")
        if pending:
            product = self.products.get(pending["productId"])
            if product is not None:
                variant = match_variant(text, product)
                rest = _without(text, variant)  # "43" picks "Size 43": no quantity
                qty = quantity_anywhere(rest) or pending.get("quantity") or 1
                if variant is not None and variant.available:
                    order["pending"] = None
                    self._add(product, variant, qty)
                    return True
                if quantity_anywhere(rest) and not order_details.find_phones(text):
                    pending["quantity"] = qty
                    return True
            return False
        items = order["items"]
        if not items:
            return False
        changed = False
        for item in reversed(items):
            product = self.products.get(item["productId"])
            if product is None or not product.variants:
                continue
            variant = match_variant(text, product)
            if variant is not None and variant.id != item.get("variantId") and variant.available:
                self._set_variant(item, product, variant)
                text = _without(text, variant)  # "sorry 44": the size, not a quantity
                changed = True
                break
        more = _MORE.search(text)
        if more and items:
            # "add one more", "add 2 more": on top of the last line's quantity
            n = next((g for g in more.groups() if g), "one").lower()
            extra = int(n) if n.isdigit() else NUMBER_WORDS.get(n, 1)
            items[-1]["quantity"] += extra
            return True
        qty = _quantity_fix(text)
        phones = order_details.find_phones(text)
        fixing = _is_correction(text) and not order_details.STREET.search(text)
        if qty is None and not phones and (len(text.split()) <= 3 or fixing):
            # "make it 2", "sorry na 8 i want": one number in a short or correcting message
            qty = (quantity_anywhere(text) or _lone_number(text)) if not figures(text) else None
        qty = qty or quantity_with_unit(text)  # "yes, 3 of them, deliver to …"
        if qty and items[-1]["quantity"] != qty:
            items[-1]["quantity"] = qty
            changed = True
        return changed

    def _set_variant(self, item: dict[str, Any], product: Product, variant: Any) -> None:
        item["variantId"] = variant.id if variant else None
        item["variant"] = variant.name if variant else None
        item["unitPrice"] = product.variant_price(variant)

    def _add(self, product: Product, variant: Any, qty: int) -> None:
        items: list[dict[str, Any]] = self.order["items"]
        for item in items:
            if item["productId"] == product.id and item.get("variantId") == (
                variant.id if variant else None
            ):
                item["quantity"] = qty
                return
        items.append(
            {
                "productId": product.id,
                "variantId": variant.id if variant else None,
                "name": product.name,
                "variant": variant.name if variant else None,
                "quantity": qty,
                "unitPrice": product.variant_price(variant),
            }
        )

    # -- details ---------------------------------------------------------------------------

    @property
    def country(self) -> str:
        return self.ctx.country or "NG"

    def add_details(self, text: str) -> bool:
        order = self.order
        got = extract_details(text, order.get("awaiting"), self.country)
        changed = False
        if got:
            order["areaText"] = f"{order.get('areaText') or ''} {text}"[-500:]
        for key in DETAILS:
            if key in got and got[key] != order.get(key):
                if key == "address" and order.get("method") == "pickup" and "method" not in got:
                    # an address given for a pickup order means delivery
                    order["method"] = "delivery"
                order[key] = got[key]
                changed = True
        if "address" in got and "method" not in got and not order.get("method"):
            order["method"] = "delivery"
        for key in got:
            order.setdefault("failed", {}).pop(key, None)  # that detail is no longer failing
        return changed

    def note_failure(self) -> bool:
        """The detail just asked for was not given; True when that has now happened
        MAX_FAILED times (a person should take over)."""
        order = self.order
        awaiting = order.get("awaiting")
        if not awaiting or awaiting == "confirm":
            return False
        failed: dict[str, int] = order.setdefault("failed", {})
        failed[awaiting] = failed.get(awaiting, 0) + 1
        return failed[awaiting] >= MAX_FAILED

    def missing(self) -> list[str]:
        order = self.order
        if not order.get("name") and self.ctx.contact_name:
            order["name"] = self.ctx.contact_name
        out = [k for k in DETAILS if not order.get(k)]
        if order.get("method") == "pickup" and "address" in out:
            out.remove("address")
        if order.get("address") and "method" in out and not self._has_pickup():
            # an address with no pickup option: delivery
            order["method"] = "delivery"
            out.remove("method")
        return out

    def _has_pickup(self) -> bool:
        return any(o.method == "pickup" for o in self.ctx.delivery) or not self.ctx.delivery

    def delivery_option(self) -> DeliveryOption | None:
        order = self.order
        if not order.get("method"):
            return None
        where = f"{order.get('address') or ''} {order.get('areaText') or ''}"
        return choose_delivery(self.ctx.delivery, order["method"], where)

    def totals(self) -> tuple[int, int | None, int]:
        subtotal = sum(i["quantity"] * i["unitPrice"] for i in self.order["items"])
        option = self.delivery_option()
        fee = option.fee if option else None
        return subtotal, fee, subtotal + (fee or 0)

    # -- prompts ---------------------------------------------------------------------------

    def next_prompt(self) -> tuple[str, list[str]]:
        """What to say next, and the amounts it states (for the grounding evidence)."""
        order = self.order
        amounts: list[str] = []
        pending = order.get("pending")
        if pending:
            p = self.products.get(pending["productId"])
            if p is not None:
                opts = []
                for v in p.variants:
                    if v.available:
                        price = self.money(p.variant_price(v))
                        amounts.append(price)
                        opts.append(f"{v.name} ({price})")
                order["awaiting"] = "variant"
                return (
                    f"Which option of **{p.name}** would you like? We have: {', '.join(opts)}.",
                    amounts,
                )
        if not order["items"]:
            order["awaiting"] = "items"
            names = [p.name for p in self.products.values() if p.available][:6]
            return "What would you like to order? We have " + ", ".join(names) + ".", amounts
        missing = self.missing()
        if missing:
            order["stage"] = "details"
            if len(missing) >= 3:
                order["awaiting"] = missing[0]
                wanted = [ASK[k] for k in missing]
                return (
                    "Great choice! To complete your order, please send "
                    + ", ".join(wanted[:-1])
                    + " and "
                    + wanted[-1]
                    + "."
                ), amounts
            order["awaiting"] = missing[0]
            if missing[0] == "address" and "method" in missing and self._has_pickup():
                return (
                    f"Thanks! Please send {ASK['address']}, or tell me if you'll pick it up.",
                    amounts,
                )
            return f"Thanks! Please send {ASK[missing[0]]}.", amounts
        return self.summary()

    def summary(self) -> tuple[str, list[str]]:
        order = self.order
        order["stage"] = "confirm"
        order["awaiting"] = "confirm"
        lines = ["Here is your order:"]
        amounts: list[str] = []
        for i in order["items"]:
            label = i["name"] + (f" ({i['variant']})" if i.get("variant") else "")
            line_total = self.money(i["quantity"] * i["unitPrice"])
            amounts += [line_total, self.money(i["unitPrice"])]
            lines.append(f"- {i['quantity']} × {label}: {line_total}")
        subtotal, fee, total = self.totals()
        option = self.delivery_option()
        amounts += [self.money(subtotal), self.money(total)]
        if option is not None and fee is not None:
            amounts.append(self.money(fee))
            fee_text = "free" if fee == 0 else self.money(fee)
            lines.append(f"{option.name}: {fee_text}")
        elif order.get("method") == "delivery":
            lines.append("Delivery fee: our team will confirm it")
        lines.append(f"**Total: {self.money(total)}**")
        who = f"Name: {order['name']}, phone: {order['phone']}"
        if order.get("method") != "pickup":
            who += f", address: {order['address']}"
        lines.append(who)
        lines.append("Reply YES to confirm, or tell me what to change.")
        return "\n".join(lines), amounts

    def create_action(self) -> Action:
        order = self.order
        subtotal, fee, total = self.totals()
        option = self.delivery_option()
        return Action(
            "create_order",
            {
                "currency": self.currency,
                "items": [dict(i) for i in order["items"]],
                "subtotal": subtotal,
                "deliveryFee": fee or 0,
                "total": total,
                "deliveryMethod": option.name if option else order.get("method"),
                "customerName": order.get("name"),
                "customerPhone": order.get("phone"),
                "deliveryAddress": order.get("address")
                or ("Pickup" if order.get("method") == "pickup" else None),
            },
        )

    def is_confirm(self, text: str) -> bool:
        return bool(CONFIRM.search(text))

    def is_cancel(self, text: str) -> bool:
        return bool(CANCEL.search(text))


def _is_correction(text: str) -> bool:
    return bool(
        re.search(
            r"^\s*(no+|nope|sorry|actually|wait|change|instead|rather|make\s+it|i\s+mean)\b"
            r"|\b(instead|rather|change\s+(it|that|am)|i\s+meant?)\b",
            text,
            re.I,
        )
    )


def _quantity_fix(text: str) -> int | None:
    m = _QTY_FIX.search(text)
    if not m:
        return None
    v = (m.group(1) or m.group(2)).lower()
    n = int(v) if v.isdigit() else NUMBER_WORDS.get(v)
    return n if n and 0 < n < 1000 else None


def _lone_number(text: str) -> int | None:
    """The one number a message names ("sorry na 8 i want"), None when none or several."""
    words = re.findall(r"[a-z]+|\d+", text.lower())
    nums = [int(w) for w in words if w.isdigit()]
    nums += [NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS and w not in ("a", "an", "one")]
    return nums[0] if len(nums) == 1 and 0 < nums[0] < 1000 else None


def _without(text: str, variant: Any) -> str:
    """The message without the numbers of the variant it names ("Size 43" in "43")."""
    if variant is None:
        return text
    for num in re.findall(r"\d+", variant.name):
        text = re.sub(rf"(?<!\d){num}(?!\d)", " ", text)
    return text
