"""The one phone-number normaliser: E.164 through ``phonenumbers``, one error for every caller."""

from __future__ import annotations

import phonenumbers

from repdesk.kit.errors import AppError


class InvalidPhoneNumberError(AppError):
    status = 400
    code = "INVALID_PHONE_NUMBER"


def normalize_phone(
    raw: str, *, field: str = "phone", default_region: str | None = None, strict: bool = False
) -> str:
    """``+2348012345678`` from what a person or a client typed.

    Without ``default_region`` the number must start with ``+`` and its country code (a local
    format is refused rather than guessed at); with it (``"NG"``), ``0803 123 4567`` is read as a
    number of that country. Spaces, dashes and dots are tolerated unless ``strict`` (a value
    that must already be E.164, such as a WhatsApp number's: digits only after ``+``).
    "Possible", not "valid": Meta's test numbers (+1 555 …) are in no numbering plan."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text.startswith("+") and default_region is None:
        raise InvalidPhoneNumberError(
            f"{field} must be in E.164 format with the country code, like +2348012345678."
        )
    if strict and not (text.startswith("+") and text[1:].isdigit()):
        raise InvalidPhoneNumberError(f"{field} must be E.164: + and digits only.")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError(f"{field} is not a phone number.") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumberError(f"{field} is not a possible phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def known_region(code: str) -> bool:
    """Whether ``code`` (``NG``) is a region the normaliser can read local numbers of."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS
