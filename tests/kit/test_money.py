"""kit.money: one formatter and one parser for currencies with 0, 2 and 3 minor digits."""

from __future__ import annotations

import pytest

from repdesk.kit.errors import ValidationError
from repdesk.kit.money import (
    MAX_MINOR_UNITS,
    format_money,
    minor_digits,
    parse_money,
    to_major,
)


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("NGN", 2), ("usd", 2), ("JPY", 0), ("XOF", 0), ("KWD", 3), ("BHD", 3), ("ZAR", 2)],
)
def test_minor_digits_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize(
    ("minor", "currency", "text", "table"),
    [
        (1250000, "NGN", "₦12,500", "₦12,500.00"),  # kobo: 100 to the naira
        (1250050, "NGN", "₦12,500.50", "₦12,500.50"),
        (5, "NGN", "₦0.05", "₦0.05"),
        (1250, "JPY", "JPY 1,250", "JPY 1,250"),  # no minor units: never hundredths
        (2500, "XOF", "XOF 2,500", "XOF 2,500"),
        (1250, "KWD", "KWD 1.250", "KWD 1.250"),  # 1000 fils to the dinar
        (1000, "KWD", "KWD 1", "KWD 1.000"),
        (-199, "USD", "-$1.99", "-$1.99"),
        (MAX_MINOR_UNITS, "NGN", "₦10,000,000,000,000", "₦10,000,000,000,000.00"),
        (MAX_MINOR_UNITS - 1, "USD", "$9,999,999,999,999.99", "$9,999,999,999,999.99"),
    ],
)
def test_format_money_writes_each_currency_with_its_own_minor_digits(
    minor: int, currency: str, text: str, table: str
) -> None:
    assert format_money(minor, currency) == text
    assert format_money(minor, currency, fixed=True) == table


@pytest.mark.parametrize(
    ("typed", "currency", "minor"),
    [
        ("25,000.50", "NGN", 2500050),
        ("₦ 25000", "NGN", 2500000),
        ("NGN 25000", "NGN", 2500000),
        ("0.05", "NGN", 5),
        ("1,250", "JPY", 1250),
        ("XOF 2500", "XOF", 2500),
        ("1.25", "KWD", 1250),
        ("kwd 0.001", "KWD", 1),
    ],
)
def test_parse_money_reads_major_units_into_minor_units(
    typed: str, currency: str, minor: int
) -> None:
    assert parse_money(typed, currency) == minor
    # and back: what a form shows parses to the same amount
    assert parse_money(to_major(minor, currency), currency) == minor


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("12.5", "JPY", "JPY has no minor units"),
        ("1.0001", "KWD", "at most 3 decimals"),
        ("1.001", "NGN", "at most 2 decimals"),
        ("-5", "NGN", "positive amount"),
        ("abc", "NGN", "enter an amount"),
        ("1e999999", "NGN", "at most"),
        ("10000000000000.01", "NGN", "at most 10000000000000"),
        ("1000000000000001", "XOF", "at most 1000000000000000"),
    ],
)
def test_parse_money_refuses_what_the_currency_cannot_hold(
    typed: str, currency: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_money(typed, currency, "price")


def test_to_major_keeps_the_fraction_only_when_there_is_one() -> None:
    assert to_major(2500050, "NGN") == "25000.50"
    assert to_major(2500000, "NGN") == "25000"
    assert to_major(1250, "JPY") == "1250"
    assert to_major(1250, "KWD") == "1.250"
    assert to_major(1000, "KWD") == "1"
