"""The engine knows "send me the link again" by its examples, in English, Pidgin and texting
spellings, and does not take other messages about links or payment for it; it reads an
email address out of a sentence."""

from __future__ import annotations

import pytest

from repdesk.ai.engine.pay import find_email, wants_link_again


@pytest.mark.parametrize(
    "text",
    [
        "Send me the link again",
        "abeg resend the link",
        "pls send payment link",
        "plz resend d link",
        "i didnt get d link",
        "I can't find the link",
        "link no dey work, send another one",
        "abeg send am again",
        "where is the payment link?",
        "I never see the link o",
        "drop the link again pls",
        "Can you re-send the payment link",
    ],
)
def test_link_again_is_recognised(text: str) -> None:
    assert wants_link_again(text)


@pytest.mark.parametrize(
    "text",
    [
        "how do I pay",
        "what is the link to your instagram",
        "the link",
        "I don't want the link",
        "send me your location",
        "I want the oud perfume",
        "do you deliver to Abuja",
        "please send me the price list of all your perfumes and the link to your catalog page",
    ],
)
def test_other_messages_are_not(text: str) -> None:
    assert not wants_link_again(text)


def test_email_is_read_from_a_sentence() -> None:
    assert find_email("my email na Chidi.Eze@Mail.ng.") == "chidi.eze@mail.ng"
    assert find_email("it's tunde at mail dot ng") is None
