"""Phone numbers: normalisation to E.164 and time-zone candidates.

Pure (no I/O, no clock): wraps ``phonenumbers``.

Validity: a number is accepted when ``phonenumbers.is_possible_number`` holds
(right length for its country), not only when ``is_valid_number`` does. That is
deliberate: the 555-01XX range used in tests and demos (``+1 555 555 0101``) is
reserved fiction — "possible" but not "valid" — and real numbers in newly
allocated ranges can lag the metadata. Twilio rejects undeliverable numbers
itself; what we must never do is mangle or invent one.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import timezone as pn_timezone

__all__ = ["normalise_phone", "timezone_candidates", "region_of"]

_INTERNATIONAL_00 = re.compile(r"^\s*00\s*")


def normalise_phone(raw: str, region: str = "US") -> str | None:
    """Return ``raw`` as E.164 (``"+15555550101"``) or ``None`` when it is not a
    possible phone number.

    raw: any common notation — ``"(555) 555-0101"``, ``"555.555.0101"``,
        ``"+1 555 555 0101"``, ``"00 44 20 7946 0958"`` (``00`` international
        prefix), ``"13800138000"`` with ``region="CN"``, ``"tel:+1..."``.
    region: ISO 3166 alpha-2 used when the number has no country code
        (``default_region`` from config).
    Never raises for bad input (``None``, empty, letters, too short/long).
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text:
        return None
    if text.lower().startswith("tel:"):
        text = text[4:].strip()
    if _INTERNATIONAL_00.match(text) and not text.startswith("+"):
        # "00" is the international prefix in most of the world; phonenumbers
        # only strips it for regions whose IDD is 00, so make it explicit.
        text = "+" + _INTERNATIONAL_00.sub("", text, count=1)
    if sum(ch.isdigit() for ch in text) < 6:
        return None
    try:
        num = phonenumbers.parse(text, (region or "US").upper())
    except phonenumbers.NumberParseException:
        return None
    # IS_POSSIBLE only: a 7-digit US local number ("555-0101") is
    # IS_POSSIBLE_LOCAL_ONLY and has no area code, so it is refused.
    if phonenumbers.is_possible_number_with_reason(num) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def timezone_candidates(e164: str) -> tuple[str, ...]:
    """IANA zones the number may be in, most likely first as ``phonenumbers``
    orders them (``("America/New_York",)`` for +1 212...; several for mobile or
    country-wide ranges). Empty when unknown or unparseable (never the
    ``Etc/Unknown`` placeholder)."""
    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    zones = pn_timezone.time_zones_for_number(num)
    return tuple(z for z in zones if z and z != "Etc/Unknown")


def region_of(e164: str) -> str | None:
    """ISO 3166 alpha-2 region of an E.164 number (``"US"``, ``"CN"``), or
    ``None``. For numbers the metadata does not place (fictional 555-01XX), the
    main region of the country calling code (``+1`` → ``"US"``)."""
    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(num)
    if not region:
        region = phonenumbers.region_code_for_country_code(num.country_code)
    return None if not region or region == "ZZ" else region
