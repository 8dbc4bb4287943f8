"""A phone whose accounts belong to different holders (US-12, UK-06, CN-02) at the pure
core: the bot lists no account, tells no debt, and hands the conversation to a person.

The new-user trial: T-1 "Alex Good" (Northwind) and T-15 "Zed Shared" (Other Bank) on one
number; "balance" got "Which account is this about? 1) Northwind … T-1 2) Other Bank …
T-15" and "2" got "Hi Zed Shared … Your balance is $400.00" — whoever held the phone.
"""

from __future__ import annotations

import pytest

from bot.actions import Flag, Handoff, IssuePayLink, OfferPlans, OptOut, Quarantine
from bot.dialogs import opening, step
from bot.names import different_holders, names_overlap, one_holder
from bot.types import ConversationState
from tests.test_dialogs_support import NOW, SCRIPT, account, facts, of, run, said, texts, uk_account

ALEX = account(account_ref="T-1", name="Alex Good", creditor="Northwind Card Services",
               balance_minor=25000, past_due_minor=25000)
ZED = account(account_ref="T-15", name="Zed Shared", creditor="Other Bank",
              balance_minor=40000, past_due_minor=40000)
SHARED = facts(ALEX, ZED)

#: nothing a reply on the shared phone may carry: either holder's name, creditor,
#: reference or an amount
SECRETS = ("Alex", "Zed", "Northwind", "Other Bank", "T-1", "T-15", "$", "250", "400")


def _clean(acts) -> None:
    for t in texts(acts):
        for secret in SECRETS:
            assert secret not in t, (secret, t)
    assert not of(acts, IssuePayLink) and not of(acts, OfferPlans)


@pytest.mark.parametrize("text, intent", [
    ("what's my balance", "balance"), ("balance", "balance"), ("pay", "pay"), ("plan", "plan"),
    ("who is this", "who_is_this"), ("hi", "greeting"), ("2", "choice"), ("T-15", "unknown"),
    ("the one ending 0015", "unknown"), ("I'll pay 50 friday", "promise")])
def test_shared_phone_tells_no_debt_and_goes_to_a_person(text, intent):
    ent = {"option": 2} if intent == "choice" else {}
    st, acts = step(ConversationState(), said(text, intent, **ent), SCRIPT, SHARED, NOW)
    _clean(acts)
    assert [h.reason for h in of(acts, Handoff)] == ["shared_phone"]
    assert Flag("shared_phone") in acts and st.mode == "agent"
    assert "account_ref" not in st.slots and "account_choices" not in st.slots
    assert texts(acts) == ["Thanks. A member of our team will get back to you soon."]
    # the bot is silent afterwards (G-01), whatever is asked next
    _, steps = run(st, SHARED, said("2", "choice", option=2), said("balance", "balance"))
    assert all(texts(a) == [] for a in steps)


def test_a_chosen_account_from_before_the_second_holder_is_not_used():
    """Alex chose T-1 before T-15 was imported onto the phone: the slot is no licence."""
    st = ConversationState(state="menu", slots={"account_ref": "T-1", "identity_confirmed": ["T-1"]})
    st, acts = step(st, said("balance", "balance"), SCRIPT, SHARED, NOW)
    _clean(acts)
    assert of(acts, Handoff) and "account_ref" not in st.slots


def test_the_opening_notice_is_not_sent_on_a_shared_phone():
    st, acts = opening(ConversationState(), SCRIPT, SHARED, NOW)
    assert texts(acts) == [] and [h.reason for h in of(acts, Handoff)] == ["shared_phone"]


def test_protections_still_work_on_a_shared_phone():
    st, acts = step(ConversationState(), said("STOP", "stop"), SCRIPT, SHARED, NOW)
    assert of(acts, OptOut)
    _clean(acts)
    st, acts = step(ConversationState(), said("wrong number", "wrong_number"), SCRIPT, SHARED, NOW)
    assert of(acts, Quarantine)
    _clean(acts)
    st, acts = step(ConversationState(), said("help", "help"), SCRIPT, SHARED, NOW)
    _clean(acts)


def test_family_sharing_a_surname_is_two_holders_too():
    """UK-06 family phone: "Pat Lee" and "Sam Lee" share a part but are two people; and a
    UK profile's identity question would name the creditor of one — neither is asked."""
    pat = uk_account(account_ref="UK-1", name="Pat Lee", creditor="Albion Loans")
    sam = uk_account(account_ref="UK-2", name="Sam Lee", creditor="Other Loans")
    st, acts = step(ConversationState(), said("balance", "balance"), SCRIPT, facts(pat, sam), NOW)
    assert st.state != "verify" and of(acts, Handoff)
    for t in texts(acts):
        assert "Albion" not in t and "Other" not in t and "£" not in t


def test_one_holder_with_several_accounts_still_chooses():
    """The same name on every account (the demo's Sam Ortega): "which account?" as before."""
    a, b = account(), account(account_ref="LN-555-0042", creditor="Acme Loans")
    st, acts = step(ConversationState(), said("balance", "balance"), SCRIPT, facts(a, b), NOW)
    assert st.state == "choose_account" and not of(acts, Handoff)


def test_name_rules():
    assert one_holder(["Sam Ortega", "  sam  ORTEGA"]) and one_holder(["王芳", "王芳"]) and one_holder([])
    assert not one_holder(["Alex Good", "Zed Shared"]) and not one_holder(["Pat Lee", "Sam Lee"])
    assert different_holders(["Alex Good", "Zed Shared"]) and not different_holders(["Ann", "Ann Lee"])
    assert names_overlap("王芳", "王小明") and not names_overlap("Alex Good", "Zed Shared")
