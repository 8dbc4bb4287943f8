"""US-14: a third-party collector's every text says it is from a debt collector."""

from bot.disclosures import with_disclosure

THIRD = {"regime": "third_party"}
FIRST = {"regime": "first_party"}


def test_US_14_third_party_reply_carries_the_disclosure_once():
    out = with_disclosure("Confirmed: $50.00 on Fri Dec 4.", THIRD, "en", "reply")
    assert out == "Confirmed: $50.00 on Fri Dec 4. This is a communication from a debt collector."
    assert with_disclosure(out, THIRD, "en", "reply") == out


def test_US_14_first_party_and_opt_out_confirmation_unchanged():
    assert with_disclosure("Confirmed.", FIRST, "en", "reply") == "Confirmed."
    assert with_disclosure("You're unsubscribed.", THIRD, "en", "optout_confirmation") == "You're unsubscribed."


def test_US_14_chinese_text_keeps_the_english_sentence():
    out = with_disclosure("已确认。", THIRD, "zh", "reminder")
    assert out.startswith("已确认。 这是一条来自债务催收机构的信息。") and "debt collector" in out
