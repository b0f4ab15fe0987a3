"""Order-taking by slot filling: items (product, variant, quantity), then name, phone, address
and delivery method, then a summary with the total, then the customer's confirmation."""

from __future__ import annotations

import re
from typing import Any

from repdesk.ai.engine.base import Action, DeliveryOption, EngineContext, Product
from repdesk.ai.engine.catalog_match import CatalogIndex, match_variant, quantity_anywhere
from repdesk.ai.engine.intents import CANCEL, CONFIRM
from repdesk.ai.grounding import figures
from repdesk.ai.money import format_money

DETAILS = ("name", "phone", "address", "method")
ASK = {
    "name": "your name",
    "phone": "a phone number we can reach you on",
    "address": "your delivery address",
    "method": "whether you want delivery or pickup",
}
STREET = re.compile(
    r"\b(street|st|road|rd|avenue|ave|close|crescent|estate|lane|way|drive|junction|"
    r"opposite|off|behind|beside|house|flat|block|plot|no\.?|number|lekki|ikeja|yaba|"
    r"surulere|ajah|ikoyi|victoria\s+island|vi|festac|ikorodu|gbagada|magodo|maryland|"
    r"abuja|wuse|garki|ibadan|port\s+harcourt|ph|enugu|kano|benin|lagos|abeokuta|ogun|"
    r"oyo|state|city|town)\b",
    re.I,
)
PICKUP = re.compile(
    r"\b(pick\s*-?\s*up|pickup|collect|come\s+carry|pick\s+am|i\s+go\s+come)\b", re.I
)
DELIVERY = re.compile(
    r"\b(deliver|delivery|dispatch|send\s+(it|am)|ship|waybill|bring\s+it)\b", re.I
)
NAME = re.compile(
    r"(?:my\s+name\s+is|name\s+is|name\s+na|name\s*:|i\s+am|i'm|this\s+is|na\s+me|call\s+me)\s+"
    r"([A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z][A-Za-z'\-]+){0,3})",
    re.I,
)
ADDRESS = re.compile(
    r"(?:address\s*(?:is)?\s*:?|deliver(?:y)?\s+(?:it\s+)?to|send\s+(?:it\s+|am\s+)?to|"
    r"located\s+at|i\s+live\s+(?:at|in)|i\s+dey)\s+(.+?)(?:\.\s|\n|$|,\s*(?:my|phone|name|and\s+my))",
    re.I,
)
NAME_STOP = {
    "and",
    "my",
    "phone",
    "number",
    "address",
    "i",
    "please",
    "pls",
    "abeg",
    "pickup",
    "delivery",
    "pick",
    "deliver",
}
NOT_NAMES = {
    "yes",
    "no",
    "ok",
    "okay",
    "yes please",
    "confirm",
    "correct",
    "sure",
    "na so",
    "cancel",
    "pickup",
    "delivery",
}


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
    }


def _clean_name(raw: str) -> str | None:
    words = []
    for w in raw.split():
        if w.lower() in NAME_STOP or any(c.isdigit() for c in w):
            break
        words.append(w.strip(",."))
    name = " ".join(words).strip()
    return name.title() if name and len(name) <= 60 else None


def extract_details(text: str, awaiting: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    phones = [f for f in figures(text) if f.kind == "phone"]
    if phones:
        out["phone"] = phones[0].raw
    if PICKUP.search(text):
        out["method"] = "pickup"
    elif DELIVERY.search(text):
        out["method"] = "delivery"
    m = NAME.search(text)
    if m:
        name = _clean_name(m.group(1))
        if name:
            out["name"] = name
    m = ADDRESS.search(text)
    if m and len(m.group(1).strip()) >= 5:
        out["address"] = m.group(1).strip().rstrip(".")
    # One detail per line: "Tunde Bakare / 0803... / 12 Allen Avenue, Ikeja / delivery"
    lines = [ln.strip(" -•,") for ln in re.split(r"[\n;]", text) if ln.strip(" -•,")]
    if len(lines) == 1 and "," in text and "address" not in out:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if len(parts) >= 3:
            lines = parts
    for ln in lines:
        if phones and phones[0].raw in ln:
            before = ln.split(phones[0].raw)[0].strip(" ,:")
            before = re.sub(r"\b(phone|number|tel|my)\b", "", before, flags=re.I).strip(" ,:")
            if "name" not in out and re.fullmatch(
                r"[A-Za-z][A-Za-z'\-]+(\s+[A-Za-z][A-Za-z'\-]+){0,3}", before or "-"
            ):
                name = _clean_name(before)
                if name and name.lower() not in NOT_NAMES:
                    out["name"] = name
            continue
        if PICKUP.fullmatch(ln) or DELIVERY.fullmatch(ln):
            continue
        if "address" not in out and STREET.search(ln) and len(ln) >= 6:
            out["address"] = ln.rstrip(".")
        elif (
            "name" not in out
            and re.fullmatch(r"[A-Za-z][A-Za-z'\-]+(\s+[A-Za-z][A-Za-z'\-]+){0,3}", ln)
            and not PICKUP.search(ln)
            and not DELIVERY.search(ln)
            and ln.lower() not in NOT_NAMES
            and (awaiting == "name" or len(lines) > 1)
        ):
            out["name"] = ln.title()
    if awaiting == "address" and "address" not in out and len(text.strip()) >= 6 and not phones:
        out["address"] = text.strip().rstrip(".")
    if awaiting == "name" and "name" not in out:
        name = _clean_name(text.strip())
        if name and len(name.split()) <= 4 and name.lower() not in NOT_NAMES:
            out["name"] = name
    return out


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
        self.index = CatalogIndex(products)
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
        """Add what the message names; True when it named at least one product."""
        mentions = self.index.match(text)
        order = self.order
        if not mentions and order.get("pending"):
            product = self.products.get(order["pending"]["productId"])
            if product is not None:
                variant = match_variant(text, product)
                qty = quantity_anywhere(text) or order["pending"].get("quantity") or 1
                if variant is not None:
                    order["pending"] = None
                    self._add(product, variant, qty)
                    return True
                if qty and quantity_anywhere(text):
                    order["pending"]["quantity"] = qty
                    return True
            return False
        if not mentions:
            qty = quantity_anywhere(text)
            if qty and order["items"] and len(text.split()) <= 3 and not figures(text):
                order["items"][-1]["quantity"] = qty
                return True
            return False
        for m in mentions:
            qty = m.quantity or (quantity_anywhere(text) if len(mentions) == 1 else None) or 1
            p = m.product
            if not p.available:
                self.notes.append(f"Sorry, **{p.name}** is out of stock at the moment.")
                continue
            if p.variants and m.variant is None:
                order["pending"] = {"productId": p.id, "quantity": qty}
                continue
            if m.variant is not None and not m.variant.available:
                others = [v.name for v in p.variants if v.available]
                alt = f" We have {', '.join(others)}." if others else ""
                self.notes.append(f"Sorry, **{p.name}** in {m.variant.name} is out of stock.{alt}")
                if others:
                    order["pending"] = {"productId": p.id, "quantity": qty}
                continue
            self._add(p, m.variant, qty)
        return True

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

    def add_details(self, text: str) -> bool:
        order = self.order
        got = extract_details(text, order.get("awaiting"))
        changed = False
        if got:
            order["areaText"] = f"{order.get('areaText') or ''} {text}"[-500:]
        for key in DETAILS:
            if key in got and got[key] != order.get(key):
                order[key] = got[key]
                changed = True
        if order.get("method") == "pickup":
            order["address"] = order.get("address") or "Pickup"
        return changed

    def missing(self) -> list[str]:
        order = self.order
        if not order.get("name") and self.ctx.contact_name:
            order["name"] = self.ctx.contact_name
        out = [k for k in DETAILS if not order.get(k)]
        if order.get("method") == "pickup" and "address" in out:
            out.remove("address")
        return out

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
                order["awaiting"] = None
                wanted = [ASK[k] for k in missing]
                return (
                    "Great choice! To complete your order, please send "
                    + ", ".join(wanted[:-1])
                    + " and "
                    + wanted[-1]
                    + "."
                ), amounts
            order["awaiting"] = missing[0]
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
                "deliveryAddress": order.get("address"),
            },
        )

    def is_confirm(self, text: str) -> bool:
        return bool(CONFIRM.search(text))

    def is_cancel(self, text: str) -> bool:
        return bool(CANCEL.search(text))
