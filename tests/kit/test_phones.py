"""The one E.164 normaliser (repdesk.kit.phones) that contacts, sends, broadcasts and WhatsApp
connections share."""

from __future__ import annotations

import pytest

from repdesk.kit.phones import InvalidPhoneNumberError, normalize_phone


@pytest.mark.parametrize(
    ("raw", "kw", "want"),
    [
        ("+2348031234567", {}, "+2348031234567"),
        (" +234 803-123.4567 ", {}, "+2348031234567"),
        ("0803 123 4567", {"default_region": "NG"}, "+2348031234567"),
        ("+447700900123", {"default_region": "NG"}, "+447700900123"),
        ("+15550783881", {"strict": True}, "+15550783881"),
    ],
)
def test_numbers_are_normalised_to_e164(raw: str, kw: dict, want: str) -> None:
    assert normalize_phone(raw, **kw) == want


@pytest.mark.parametrize(
    ("raw", "kw", "says"),
    [
        ("08031234567", {}, "phone must be in E.164"),
        (
            "+1 (555) 078-3881",
            {"strict": True, "field": "phoneNumber"},
            "phoneNumber must be E.164",
        ),
        ("+1", {}, "not a phone number"),
        ("+23480", {}, "not a possible phone number"),
        ("hello", {"default_region": "NG"}, "not a phone number"),
    ],
)
def test_what_is_not_a_number_is_one_error_naming_the_field(raw: str, kw: dict, says: str) -> None:
    with pytest.raises(InvalidPhoneNumberError, match=says) as err:
        normalize_phone(raw, **kw)
    assert err.value.code == "INVALID_PHONE_NUMBER" and err.value.status == 400
