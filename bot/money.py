"""Money formatting and conversion (pure).

Amounts live as integer minor units of an ISO 4217 currency; ``Decimal`` in major
units only where a customer typed them. Never ``float``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

#: ISO 4217 minor-unit exponents that differ from 2.
_EXPONENTS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
    "PYG": 0, "RWF": 0, "KMF": 0, "GNF": 0, "DJF": 0, "VUV": 0, "XPF": 0, "BIF": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}

_SYMBOLS: dict[str, str] = {
    "USD": "$", "CNY": "¥", "GBP": "£", "EUR": "€", "JPY": "¥", "HKD": "HK$",
    "CAD": "CA$", "AUD": "A$", "INR": "₹", "KRW": "₩",
}


def exponent(currency: str) -> int:
    """Digits after the decimal point for ``currency`` (ISO 4217; 2 when unlisted)."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal, currency: str) -> int:
    """Major-unit ``Decimal`` → integer minor units (half-up at the currency's exponent)."""
    if not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    scaled = (amount * (Decimal(10) ** exponent(currency))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    """Integer minor units → ``Decimal`` major units, exact."""
    exp = exponent(currency)
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def format_money(minor: int, currency: str, lang: str = "en") -> str:
    """``5000, "USD"`` → ``$50.00``; ``260000, "CNY"`` → ``¥2,600.00``; ``2000, "GBP"`` →
    ``£20.00``. Unknown currencies: ``1,234.50 CHF``. ``lang`` is reserved for
    language-specific forms; both en and zh use the symbol before the number."""
    currency = currency.upper()
    exp = exponent(currency)
    sign = "-" if minor < 0 else ""
    value = from_minor(abs(int(minor)), currency)
    number = f"{value:,.{exp}f}"
    symbol = _SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency}"
