"""SMS segment counting (pure).

GSM-7 (3GPP TS 23.038 default alphabet): 160 septets in one segment, 153 per part of
a concatenated message; the extension table characters ``^{}[]~\\|€`` (and form feed)
cost two septets. Any other character switches the whole message to UCS-2, counted in
UTF-16 code units (an emoji outside the BMP is two): 70 in one segment, 67 per part.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}[]~\\|€\f")


@dataclass(frozen=True)
class SegmentInfo:
    """encoding ``GSM-7`` or ``UCS-2``; units: septets (GSM-7) or UTF-16 code units;
    segments: parts the message is sent in (0 for an empty text); ucs2_chars: the
    distinct characters that forced UCS-2, in order of appearance."""

    encoding: str
    units: int
    segments: int
    ucs2_chars: tuple[str, ...] = ()


def count(text: str) -> SegmentInfo:
    """How ``text`` goes over SMS: encoding, units and segments."""
    forcing: list[str] = []
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENSION:
            septets += 2
        elif ch not in forcing:
            forcing.append(ch)
    if not forcing:
        return SegmentInfo("GSM-7", septets, _parts(septets, 160, 153))
    units = len(text.encode("utf-16-le")) // 2
    return SegmentInfo("UCS-2", units, _parts(units, 70, 67), tuple(forcing))


def _parts(units: int, single: int, multi: int) -> int:
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // multi)
