"""Orders said any way: the built-in engine's order taking, one wording kind per test."""

from __future__ import annotations

from typing import Any

import pytest

from repdesk.ai.engine.base import DeliveryOption, EngineContext, Product, Variant
from repdesk.ai.engine.builtin import BuiltinEngine
from repdesk.ai.engine.catalog_match import CatalogIndex
from repdesk.ai.engine.order_details import extract, normalise_phone
from repdesk.ai.engine.orders_flow import new_order_state
from repdesk.ai.memory_source import MemorySource

PRODUCTS = [
    Product(
        "cake",
        "Chocolate Fudge Cake",
        "",
        1500000,
        "NGN",
        variants=(Variant("cake-s", "Small", 1500000), Variant("cake-l", "Large", 2500000)),
    ),
    Product("croissant", "Butter Croissant", "", 150000, "NGN"),
    Product(
        "dress",
        "Ankara Wrap Dress",
        "",
        2000000,
        "NGN",
        variants=(Variant("dress-red", "Red", None), Variant("dress-blue", "Blue", None)),
    ),
]
DELIVERY = [
    DeliveryOption("Pickup at the shop", "pickup", 0),
    DeliveryOption("Delivery on the Mainland", "delivery", 200000, ("yaba", "surulere")),
    DeliveryOption("Delivery elsewhere in Lagos", "delivery", 350000),
]


class Chat:
    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.engine = BuiltinEngine()
        self.source = MemorySource([], PRODUCTS)
        self.replies: list[str] = []
        self.orders: list[dict[str, Any]] = []
        self.escalated = False

    async def say(self, text: str) -> str:
        ctx = EngineContext(
            business_name="Crumbs Bakery",
            channel="widget",
            text=text,
            source=self.source,
            delivery=DELIVERY,
            state=self.state,
        )
        result = await self.engine.respond(ctx)
        for a in result.actions:
            if a.type == "create_order":
                self.orders.append(a.data)
            if a.type == "escalate":
                self.escalated = True
        reply = "\n".join(result.replies)
        self.replies.append(reply)
        return reply

    async def run(self, *turns: str) -> dict[str, Any]:
        for t in turns:
            await self.say(t)
        assert len(self.orders) == 1, self.replies
        return self.orders[0]


def items(order: dict[str, Any]) -> list[tuple[str, str | None, int]]:
    return [(i["name"], i["variant"], i["quantity"]) for i in order["items"]]


async def test_details_one_at_a_time() -> None:
    chat = Chat()
    order = await chat.run(
        "I want to order 2 butter croissants",
        "Chidi Okeke",
        "08031234567",
        "delivery",
        "12 Herbert Macaulay Way, Yaba, Lagos",
        "yes",
    )
    assert items(order) == [("Butter Croissant", None, 2)]
    assert order["customerName"] == "Chidi Okeke"
    assert order["customerPhone"] == "08031234567"
    assert order["deliveryAddress"] == "12 Herbert Macaulay Way, Yaba, Lagos"
    assert order["total"] == 2 * 150000 + 200000


async def test_everything_in_one_message() -> None:
    chat = Chat()
    order = await chat.run(
        "Hi, I'd like to order a large chocolate fudge cake. I'm Ada Obi, 0803 555 1234, "
        "deliver to 4 Adeola Odeku Street, Victoria Island, Lagos",
        "confirm",
    )
    assert items(order) == [("Chocolate Fudge Cake", "Large", 1)]
    assert order["customerName"] == "Ada Obi"
    assert order["customerPhone"] == "08035551234"
    assert order["deliveryAddress"] == "4 Adeola Odeku Street, Victoria Island, Lagos"
    assert order["total"] == 2500000 + 350000


async def test_out_of_order_details_are_never_asked_again() -> None:
    chat = Chat()
    await chat.say("I want to buy the butter croissant")
    await chat.say("I'll pick it up myself")
    reply = await chat.say("my number is 07012345678")
    assert "pick" not in reply.lower() and "phone" not in reply.lower()
    assert "name" in reply.lower()
    order = await chat.run("this is Mrs Okafor", "yes please")
    assert order["customerName"] == "Mrs Okafor"
    assert order["customerPhone"] == "07012345678"
    assert order["deliveryMethod"] == "Pickup at the shop"
    assert order["total"] == 150000


@pytest.mark.parametrize(
    "wording",
    [
        "I'll come and collect it",
        "I go come carry am",
        "pick it up myself",
        "no need to deliver, I'll pick it up",
        "I will come to your shop to get it",
        "I'll send my driver to get it from you",
        "my brother will come and load it",
    ],
)
async def test_pickup_in_any_wording(wording: str) -> None:
    chat = Chat()
    order = await chat.run("order 1 butter croissant", "Chidi here, 08031234567", wording, "yes")
    assert order["deliveryMethod"] == "Pickup at the shop"
    assert order["deliveryFee"] == 0 and order["total"] == 150000


@pytest.mark.parametrize(
    "wording",
    [
        "bring it to me at 3 Bode Thomas Street, Surulere",
        "deliver am to 3 Bode Thomas Street, Surulere",
    ],
)
async def test_delivery_in_any_wording(wording: str) -> None:
    chat = Chat()
    order = await chat.run(
        "order 1 butter croissant", "my name is Tola, 08031234567", wording, "ok"
    )
    assert order["deliveryMethod"] == "Delivery on the Mainland"
    assert order["deliveryAddress"] == "3 Bode Thomas Street, Surulere"
    assert order["total"] == 150000 + 200000


async def test_corrections_quantity_method_and_variant() -> None:
    chat = Chat()
    await chat.say("I want the ankara wrap dress in red")
    await chat.say("I'm Bola, 08031234567, I'll pick it up")
    summary = await chat.say("make it 2")
    assert "2 × Ankara Wrap Dress (Red)" in summary
    await chat.say("no, the blue one")
    await chat.say("actually deliver it to 10 Admiralty Way, Lekki")
    order = await chat.run("yes")
    assert items(order) == [("Ankara Wrap Dress", "Blue", 2)]
    assert order["customerName"] == "Bola"
    assert order["deliveryAddress"] == "10 Admiralty Way, Lekki"
    assert order["total"] == 2 * 2000000 + 350000


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I'm Chidi", "Chidi"),
        ("this is Mrs Okafor", "Mrs Okafor"),
        ("Chidi here", "Chidi"),
        ("my name is Ngozi Eze", "Ngozi Eze"),
        ("I'm in Lekki", None),
        ("I'm coming to collect it", None),
    ],
)
def test_names_are_never_places(text: str, name: str | None) -> None:
    assert extract(text).name == name


def test_a_whole_address_is_kept_and_the_name_is_not_a_town() -> None:
    got = extract("My name is Tunde Bakare, 08031234567, 12 Allen Avenue, Ikeja, Lagos, delivery")
    assert got.name == "Tunde Bakare"
    assert got.address == "12 Allen Avenue, Ikeja, Lagos"
    assert got.phone == "08031234567" and got.method == "delivery"


def test_phone_numbers_through_phonenumbers_with_the_country() -> None:
    assert normalise_phone("+234 803 123 4567", "NG") == "08031234567"
    assert normalise_phone("0803-123-4567", "NG") == "08031234567"
    assert normalise_phone("0244 123 456", "GH") == "0244123456"
    assert normalise_phone("+44 7911 123456", "NG") == "+447911123456"
    assert extract("call me on 0244123456", country="GH").phone == "0244123456"


async def test_the_order_is_created_exactly_once() -> None:
    chat = Chat()
    await chat.run("order 1 butter croissant", "Chidi, 08031234567, pickup", "yes")
    await chat.say("yes")
    await chat.say("confirm")
    assert len(chat.orders) == 1


async def test_two_failed_attempts_at_a_detail_hand_off() -> None:
    chat = Chat()
    await chat.say("I want to order 1 butter croissant")
    await chat.say("Chidi, 08031234567, pickup")
    await chat.say("I'll pick it up myself")
    assert not chat.escalated
    await chat.run("yes")
    # A new order where the phone never comes.
    chat = Chat()
    await chat.say("I want to order 1 butter croissant")
    await chat.say("I'm Chidi and I'll collect it")
    assert "phone" in chat.replies[-1]
    await chat.say("hmm")
    assert not chat.escalated
    await chat.say("later")
    assert chat.escalated and not chat.orders


async def test_a_correction_naming_only_a_number_changes_the_quantity() -> None:
    chat = Chat()
    order = await chat.run(
        "abeg 6 butter croissant",
        "sorry na 8 i want",
        "i go come carry am",
        "na Bayo",
        "09087654321",
        "ok",
    )
    assert items(order) == [("Butter Croissant", None, 8)]
    assert order["total"] == 8 * 150000


async def test_a_house_number_is_no_quantity_and_the_flat_stays_in_the_address() -> None:
    chat = Chat()
    order = await chat.run(
        "I need 20 butter croissants",
        "deliver",
        "No 4 Aso Drive, Surulere",
        "Ibrahim Musa",
        "08031112222",
        "yes",
    )
    assert items(order) == [("Butter Croissant", None, 20)]
    assert order["deliveryAddress"] == "No 4 Aso Drive, Surulere"
    got = extract("Flat 3, 10 Bode Thomas Street, Surulere", "address")
    assert got.address == "Flat 3, 10 Bode Thomas Street, Surulere"


async def test_with_address_and_method_missing_the_prompt_offers_pickup() -> None:
    chat = Chat()
    await chat.say("I want 2 butter croissants")
    reply = await chat.say("I'm Okon, 07012345678")
    assert "address" in reply and "pick it up" in reply


async def test_a_model_year_in_the_name_and_a_quantity_after_it() -> None:
    pads = Product("pads", "Toyota Camry 2010 Brake Pads", "", 2800000, "NGN")
    lamp = Product("lamp", "Honda Accord 2008 Headlamp", "", 6500000, "NGN")
    for first, product, qty in (
        ("brake pads for camry 2010, 2 sets", "Toyota Camry 2010 Brake Pads", 2),
        ("I want the accord 2008 headlamp, 3 pieces", "Honda Accord 2008 Headlamp", 3),
    ):
        chat = Chat()
        chat.source = MemorySource([], [*PRODUCTS, pads, lamp])
        order = await chat.run(first, "pickup", "Emeka", "08031234570", "yes")
        assert items(order) == [(product, None, qty)]


async def test_details_alone_do_not_loop_on_what_to_order() -> None:
    chat = Chat()
    chat.state["order"] = {**new_order_state(), "awaiting": "items"}
    await chat.say("my name is Ada")
    await chat.say("08031234568")
    assert chat.escalated  # two replies that order nothing: a person takes over


@pytest.mark.parametrize(
    ("text", "awaiting", "name", "address"),
    [
        (
            "House 12, 3rd Avenue, Surulere, Lagos",
            "name",
            None,
            "House 12, 3rd Avenue, Surulere, Lagos",
        ),
        (
            "Opposite Total filling station, Yaba",
            "name",
            None,
            "Opposite Total filling station, Yaba",
        ),
        ("Mr. Oghene", "name", "Mr Oghene", None),
        ("na me be Efosa", "name", "Efosa", None),
        ("yes please confirm", "address", None, None),
        ("go ahead", "address", None, None),
    ],
)
def test_landmark_addresses_titles_and_confirmations(
    text: str, awaiting: str, name: str | None, address: str | None
) -> None:
    got = extract(text, awaiting)
    assert (got.name, got.address) == (name, address)


async def test_asked_for_a_person_only_when_not_giving_a_name() -> None:
    chat = Chat()
    order = await chat.run(
        "Can I get 2 of the butter croissant?",
        "I'll pass by the shop",
        "You can call me Ifeoma",
        "my line is 0803 123 4500",
        "add one more",
        "yes that's fine",
    )
    assert not chat.escalated
    assert items(order) == [("Butter Croissant", None, 3)]
    assert order["customerName"] == "Ifeoma" and order["deliveryMethod"] == "Pickup at the shop"


async def test_an_offer_taken_with_a_quantity_and_a_phone_after_call_me_on() -> None:
    chat = Chat()
    await chat.say("how much is the butter croissant?")
    order = await chat.run(
        "I'll take two",
        "deliver to my office at 5 Broad Street, Surulere",
        "Tunde",
        "call me on 08031230002",
        "yes",
    )
    assert not chat.escalated
    assert items(order) == [("Butter Croissant", None, 2)]
    assert order["customerPhone"] == "08031230002"
    assert order["deliveryAddress"] == "5 Broad Street, Surulere"


async def test_a_quantity_with_its_unit_in_a_long_reply_to_an_offer() -> None:
    chat = Chat()
    await chat.say("how much is the butter croissant?")
    order = await chat.run(
        "yes, 3 of them, deliver to 2 Oregun Road, Yaba", "Bimpe", "08031230005", "yes"
    )
    assert items(order) == [("Butter Croissant", None, 3)]


def test_a_street_named_without_a_number_is_an_address() -> None:
    got = extract("Plot 5, Alausa Secretariat Road, Ikeja", "name")
    assert got.address == "Plot 5, Alausa Secretariat Road, Ikeja" and got.name is None


@pytest.mark.parametrize(
    ("wording", "method"),
    [
        ("I'll bring them to the shop myself", "pickup"),
        ("come and pick them from my house at 8 Gana Street, Surulere", "delivery"),
        ("una go come carry am for my house? 12 Ahmadu Bello Way, Yaba", "delivery"),
    ],
)
def test_who_travels_decides_pickup_or_delivery(wording: str, method: str) -> None:
    got = extract(wording, "method")
    assert got.method == method
    assert got.address is None if method == "pickup" else got.address


def test_the_quantity_goes_with_the_names_own_word_and_a_title_keeps_its_name() -> None:
    shirts = Product("sheet", "Bedsheet - Wash & Iron", "", 120000, "NGN")
    attire = Product("attire", "Native Attire - Wash & Starch", "", 150000, "NGN")
    index = CatalogIndex([shirts, attire])
    got = {m.product.id: m.quantity for m in index.match("i wan wash 5 bedsheet")}
    assert got == {"sheet": 5}
    got = {
        m.product.id: m.quantity
        for m in index.match("4 native attire wash and starch, 2 bedsheets")
    }
    assert got == {"attire": 4, "sheet": 2}
    assert extract("Engr. Ibe", "name").name == "Engr Ibe"


async def test_a_size_number_is_the_variant_not_the_quantity() -> None:
    loafers = Product(
        "loafers",
        "Leather Loafers",
        "",
        2200000,
        "NGN",
        variants=tuple(Variant(f"l{n}", f"Size {n}", None) for n in (42, 43, 44)),
    )
    chat = Chat()
    chat.source = MemorySource([], [*PRODUCTS, loafers])
    order = await chat.run(
        "I want leather loafers", "43", "sorry 44", "pickup", "Obinna", "08031250001", "yes"
    )
    assert items(order) == [("Leather Loafers", "Size 44", 1)]


async def test_ill_take_a_number_is_the_quantity() -> None:
    chat = Chat()
    order = await chat.run(
        "do you have the ankara wrap dress in blue? I'll take 2",
        "pickup",
        "Ada",
        "08031250004",
        "yes",
    )
    assert items(order) == [("Ankara Wrap Dress", "Blue", 2)]
