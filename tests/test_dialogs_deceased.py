"""A report that the account holder died, made by someone else ("he passed away last
month", "the account holder died, I'm his daughter", 我爸走了，这是他的手机) — the intents
read it as ``unknown`` with rule ``unknown.deceased`` (a person must read it).

Before: the bot answered "Sorry, I didn't understand. Reply PAY to pay $300.00 ..." (the
gate refused it only because the vulnerability words had held the account) and the
widow heard nothing. Now: a ``deceased`` hold on the account (it silences everything but
the compliance answers, as cease does), a ``deceased`` hand-off at priority 2, and one
condolence with no debt detail (UK-07 bereavement; 12 CFR 1006.6(a)(4): the estate's
executor, not whoever holds the phone, is the consumer)."""

from __future__ import annotations

from bot.actions import Handoff, SetHold
from bot.types import ConversationState, DECEASED_REPORT_RULE
from tests.test_dialogs_support import (NOW, SCRIPT, account, facts, of, replies, run, said, texts)

ACK = ("Thank you for letting us know, and we're very sorry for your loss. We've paused our "
       "messages about this account, and a member of our team will be in touch with the "
       "right person.")


def report(text="he passed away last month"):
    return said(text, "unknown", conf=0.5, rule=DECEASED_REPORT_RULE)


def test_UK_07_death_report_holds_the_account_hands_off_and_condoles_once():
    st = ConversationState("menu", {"lang": "en"})
    st, [a1] = run(st, facts(), report())
    assert of(a1, SetHold)[0] == SetHold("deceased", "ACC-100-4521", rule="UK-07")
    assert of(a1, Handoff) == [Handoff("deceased", 2)]
    [r] = replies(a1)
    assert r.template == "deceased_ack" and r.kind == "handoff_notice"
    assert texts(a1) == [ACK]
    assert st.mode == "agent"
    # once held, a second report is not answered again
    f = facts(account(holds=("deceased",)))
    st2, [a2] = run(ConversationState("menu", {"lang": "en"}), f, report("he died"))
    assert replies(a2) == [] and "deceased" not in [h.kind for h in of(a2, SetHold)]
    assert of(a2, Handoff) == [Handoff("deceased", 2)]       # still seen by a person


def test_death_report_in_chinese():
    st = ConversationState("menu", {"lang": "zh"})
    st, [a1] = run(st, facts(), said("我爸走了，这是他的手机", "unknown", conf=0.5, lang="zh",
                                     rule=DECEASED_REPORT_RULE))
    assert texts(a1) == ["感谢您告知，对您的损失我们深表遗憾。我们已暂停发送有关此账户的消息，我们的工作人员将与相关人员联系。"]


def test_death_report_after_a_wrong_number_or_an_opt_out_holds_but_says_nothing():
    # US-12: a quarantined number gets nothing; US-05: an opted-out one neither
    for slots, f in (({"lang": "en", "quarantined": True}, facts()),
                     ({"lang": "en", "opted_out": True}, facts(opted_out=frozenset({"sms"})))):
        st, [a1] = run(ConversationState("menu", slots), f, report())
        assert [h.kind for h in of(a1, SetHold)][:1] == ["deceased"]
        assert of(a1, Handoff) == [Handoff("deceased", 2)]
        assert replies(a1) == []


def test_death_report_while_an_agent_owns_the_conversation_records_the_hold():
    st, [a1] = run(ConversationState("menu", {"lang": "en"}, mode="agent"), facts(), report())
    assert [h.kind for h in of(a1, SetHold)][:1] == ["deceased"]
    assert of(a1, Handoff) == [Handoff("deceased", 2)]      # the runner raises the open one
    assert replies(a1) == []


def test_a_customer_bereavement_of_their_own_is_not_a_death_report():
    # "my husband died" is the customer's own loss: hardship, no deceased hold
    st, [a1] = run(ConversationState("menu", {"lang": "en"}), facts(),
                   said("my husband died last month, I can't pay right now", "hardship"))
    assert "deceased" not in [h.kind for h in of(a1, SetHold)]
