"""bot.phones: E.164 normalisation and time-zone candidates (pure)."""

from __future__ import annotations

import pytest

from bot.phones import normalise_phone, region_of, timezone_candidates


@pytest.mark.parametrize("raw, region, expected", [
    ("(555) 555-0101", "US", "+15555550101"),
    ("555.555.0101", "US", "+15555550101"),
    ("555-555-0101", "US", "+15555550101"),
    ("5555550101", "US", "+15555550101"),
    ("1 (555) 555-0101", "US", "+15555550101"),
    ("+1 555 555 0101", "US", "+15555550101"),
    ("+15555550101", "CN", "+15555550101"),
    ("  +1-555-555-0101  ", "US", "+15555550101"),
    ("tel:+15555550101", "US", "+15555550101"),
    ("00 44 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("13800138000", "CN", "+8613800138000"),
    ("+86 138 0013 8000", "US", "+8613800138000"),
    ("(212) 555-0123", "US", "+12125550123"),
    ("１２１２５５５０１２３", "US", "+12125550123"),  # full-width digits
])
def test_normalise_notations(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize("raw", [
    "", "   ", "12", "555-0101", "abc", "call me", "+1 555 555 01011", "+999 1234 5678",
    "555 555 010", None,
])
def test_normalise_rejects(raw):
    assert normalise_phone(raw, "US") is None


def test_default_region_is_us():
    assert normalise_phone("(555) 555-0101") == "+15555550101"


def test_timezone_candidates():
    assert timezone_candidates("+12125550123") == ("America/New_York",)
    assert timezone_candidates("+442079460958") == ("Europe/London",)
    assert timezone_candidates("+8613800138000") == ("Asia/Shanghai",)
    assert timezone_candidates("+15555550101") == ()  # fictional range: unknown
    assert timezone_candidates("garbage") == ()


def test_region_of():
    assert region_of("+15555550101") == "US"
    assert region_of("+8613800138000") == "CN"
    assert region_of("nope") is None


def test_bot_phones_is_pure():
    import ast
    import pathlib

    import bot.phones as mod

    tree = ast.parse(pathlib.Path(mod.__file__).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "re", "phonenumbers"}
