"""The content linter (bot/lint.py), by rule ID."""

from __future__ import annotations

from bot.lint import MAX_CHARS, lint, segment_report

US = {"regime": "first_party", "jurisdiction": "US"}
US3 = {"regime": "third_party", "jurisdiction": "US"}
UK = {"regime": "first_party", "jurisdiction": "UK", "identity_check": True}
CN = {"regime": "first_party", "jurisdiction": "CN"}
STOP = " Reply STOP to stop texts to this number."
KNOWN = {"name", "past_due", "due_date", "creditor", "creditor_contact", "pay_link"}


def rules(text, profile=US, *, initial=True, identity_confirmed=True, known=KNOWN, **kw):
    return [p.rule for p in lint(text, profile=profile, initial=initial,
                                 identity_confirmed=identity_confirmed, known_params=set(known), **kw)]


def test_US_04_template_without_stop_clause_fails():
    assert rules("Hi {{ name }}, your payment of {{ past_due }} is due") == ["US-04"]
    assert rules("Hi {{ name }}, your payment of {{ past_due }} is due." + STOP) == []


def test_US_04_chinese_opt_out_counts():
    assert "US-04" not in rules("{{ name }}您好，您的账单已逾期。回T退订", CN, initial=False)
    assert "US-04" in rules("{{ name }}您好，您的账单已逾期。", CN, initial=False)


def test_US_04_not_required_in_first_party_replies_but_in_third_party_ones():
    assert rules("Sure, I can help with that.", reply=True) == []
    assert "US-04" in rules("Sure. This is a communication from a debt collector.", US3, initial=False,
                            reply=True)


def test_US_14_third_party_initial_needs_mini_miranda():
    assert rules("Hi, please call us." + STOP, US3) == ["US-14"]
    full = ("This is a communication from a debt collector attempting to collect a debt; any "
            "information obtained will be used for that purpose." + STOP)
    assert rules(full, US3) == []


def test_US_14_later_communications_need_the_short_disclosure():
    assert rules("Follow-up." + STOP + " This is a communication from a debt collector.", US3,
                 initial=False) == []
    assert rules("Follow-up." + STOP, US3, initial=False) == ["US-14"]
    assert rules("Follow-up." + STOP, US, initial=False) == []  # first party: off


def test_UK_06_amount_before_identity_is_blocked():
    assert rules("Hi {{ name }}, you owe {{ past_due }}." + STOP, UK, identity_confirmed=False) == ["UK-06"]
    assert rules("Hi, you owe £120.50." + STOP, UK, identity_confirmed=False) == ["UK-06"]
    assert rules("Hi {{ name }}, you owe {{ past_due }}." + STOP, UK, identity_confirmed=True) == []
    assert rules("Hi {{ name }}, please get in touch about your account." + STOP, UK,
                 identity_confirmed=False) == []


def test_US_21_threats_are_blocked():
    assert rules("Pay today or you may be arrested." + STOP) == ["US-21"]
    assert rules("Police will be informed." + STOP) == ["US-21"]
    assert rules("We will file a lawsuit." + STOP) == ["US-21"]
    assert rules("We will file a lawsuit." + STOP, legal_action_approved=True) == []
    assert rules("Pay today or you may be arrested." + STOP, legal_action_approved=True) == ["US-21"]
    assert rules("Thanks for the issue report." + STOP) == []  # "sue" inside a word


def test_UK_02_pressure_wording_is_blocked():
    assert "UK-02" in rules("Pay the full £1,200 by tomorrow or else." + STOP, UK)
    assert rules("Could you borrow from family to pay?" + STOP, UK) == ["UK-02"]
    assert rules("You could sell your car." + STOP, UK) == ["UK-02"]
    assert rules("Today only: settle for less." + STOP, UK) == ["UK-02"]
    assert rules("Take out a loan to pay this." + STOP, UK) == ["UK-02"]
    assert rules("Please pay in full within 3 days." + STOP, UK) == ["UK-02"]
    assert rules("Please pay in full within 30 days." + STOP, UK) == []
    assert rules("Your loan payment is overdue; we can help with a plan." + STOP, UK) == []


def test_CN_04_banned_tactics_are_blocked():
    assert rules("已移交公安立案。回T退订", CN, initial=False) == ["CN-04"]
    assert rules("建议您向亲友借款还款。回T退订", CN, initial=False) == ["CN-04"]
    assert rules("再不还款就爆通讯录。回T退订", CN, initial=False) == ["CN-04"]
    assert rules("我们将起诉。回T退订", CN, initial=False) == ["CN-04"]
    assert rules("我们将起诉。回T退订", CN, initial=False, legal_action_approved=True) == []


def test_CN_05_initial_notice_carries_the_contact():
    assert rules("{{ name }}您好，请尽快还款。回T退订", CN) == ["CN-05"]
    assert rules("{{ name }}您好，请尽快还款，客服电话{{ creditor_contact }}。回T退订", CN) == []


def test_unknown_and_malformed_placeholders():
    assert rules("Hi {{ nme }}." + STOP) == ["lint:placeholder"]
    assert rules("Hi {{ name ." + STOP) == ["lint:placeholder"]


def test_over_1600_characters():
    assert rules("a" * (MAX_CHARS + 1) + STOP) == ["lint:length"]


def test_profile_banned_phrases():
    assert rules("Final demand." + STOP, {**US, "banned_phrases": ["final demand"]}) == ["lint:banned"]


def test_segment_report_names_the_characters_forcing_ucs2():
    r = segment_report("Hi “Ann”, pay now 🙂")
    assert r.encoding == "UCS-2" and r.ucs2_chars == ("“", "”", "🙂")
    assert r.units == len("Hi “Ann”, pay now 🙂") + 1  # the emoji is two UTF-16 units
    g = segment_report("Pay {€10} now")
    assert (g.encoding, g.units, g.segments) == ("GSM-7", 16, 1)


def test_uk_forbearance_wording_is_not_a_pay_in_full_demand():   # UK-01 text, not a UK-02 breach
    uk = {"regime": "first_party", "jurisdiction": "UK", "identity_check": True}
    ok = "We're sorry things are hard right now. You don't have to pay in full: we can offer reduced payments."
    assert lint(ok, profile=uk, initial=False, identity_confirmed=True, known_params=set(), reply=True) == []
    bad = lint("Please pay in full today.", profile=uk, initial=False, identity_confirmed=True,
               known_params=set(), reply=True)
    assert [p.rule for p in bad] == ["UK-02"]
