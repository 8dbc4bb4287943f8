"""SMS segment counting: GSM-7 (basic + extension) and UCS-2 in UTF-16 units."""

from bot.segments import count


def test_plain_gsm7():
    assert count("a" * 160) == count("a" * 160)
    info = count("a" * 160)
    assert (info.encoding, info.units, info.segments) == ("GSM-7", 160, 1)
    assert count("a" * 161).segments == 2
    assert count("a" * 306).segments == 2 and count("a" * 307).segments == 3


def test_extension_chars_cost_two_septets():
    info = count("€" * 80)
    assert (info.encoding, info.units, info.segments) == ("GSM-7", 160, 1)
    assert count("{" + "a" * 159).segments == 2
    assert count("^{}[]~\\|€").units == 18


def test_ucs2_switch_and_utf16_units():
    info = count("Confirmed: $50 on Fri “Dec 4”")
    assert info.encoding == "UCS-2" and info.ucs2_chars == ("“", "”")
    assert count("好" * 70).segments == 1 and count("好" * 71).segments == 2
    assert count("好" * 134).segments == 2 and count("好" * 135).segments == 3
    emoji = count("ok 👍")
    assert emoji.units == 5 and emoji.ucs2_chars == ("👍",)


def test_empty_and_gsm_specials():
    assert count("").segments == 0
    assert count("£$¥èé@_ΔÄÖÑÜ§¿ä").encoding == "GSM-7"


def test_default_templates_fit():
    from bot.dialogs import default_script_text, load_script
    from bot.dialogs.script import KNOWN_PARAMS
    from bot.templates import render
    script = load_script(default_script_text())
    for key in ("optout_confirmation", "help", "wrong_number"):
        for lang in ("en", "zh"):
            text = render(script, key, lang, {k: "" for k in KNOWN_PARAMS})
            assert count(text).segments <= 2, (key, lang, text)
