"""Attack on the account-less cap lock (2e51ea1, ``runner.outbound.lock_debt``) and the
count it guards (``runner.outbound.resolve``).

An initiated message with no account, on a conversation with none, is counted against
*every* account on its phone ("the conservative reading", resolve's docstring), and since
2e51ea1 it locks each of those debts. The lock is symmetric; the count is not.
"""

from __future__ import annotations

import datetime as dt

import pytest

from runner import outbound
from storage.models import Decision, Message
from tests.test_worker import (CUSTOMER, NOW, Env, _one_debt_two_phones_two_notices,  # noqa: F401
                               add_conversation, add_message, env)

OTHER_NUMBER = "+15555550177"   # another of our numbers


def _loose_notice(env: Env) -> int:
    """An initiated notice to CUSTOMER with no account, on a conversation with none."""
    conv = add_conversation(env.sessions, phone=CUSTOMER, ours=OTHER_NUMBER)
    loose = add_message(env.sessions, conv, status="deferred", not_before=NOW - dt.timedelta(minutes=1),
                        transport="rest", to=CUSTOMER, frm=OTHER_NUMBER, account_id=None, kind="notice")
    with env.sessions() as s, s.begin():
        s.add(Decision(message_id=loose, rule="gate:pass", verdict="defer", actor="gate", created_at=NOW,
                       detail={"approved": True, "stage": "submit"}))
    return loose


def _decide_and_send(env: Env, mid: int) -> str:
    with env.sessions() as s, s.begin():
        m = s.get(Message, mid)
        verdict = outbound.redecide(s, m, NOW, behaviour=env.settings.behaviour,
                                    debt_lock=env.backend == "postgresql")
        if verdict.action == "send":
            m.status, m.sent_at = "sent", NOW
        return f"{verdict.action}/{verdict.rule}"


def test_US_20_an_account_less_notice_counts_for_the_debt_on_its_other_phone_too(env: Env):
    """BUG (US-20, ST-01: caps are per debt). The account-less notice to the debt's first
    phone goes first: resolve() counted the account's messages for it (the account is
    its debt). Then a notice for that same account to its *second* phone is decided:
    its count reads the account's messages and account-less ones *to the second phone
    only*, so it misses the first one and the debt gets two initiated texts in one day
    (the reverse order defers correctly: see tests/test_worker.py
    test_US_20_an_account_less_notice_waits_for_a_claim_on_its_phones_debt).
    Fix: runner/outbound.py _Q_RECENT_DEBTS should count account-less messages to any
    phone of the debts it counts (Phone.e164 of debt_ids), not only to ``phone``."""
    acct, mids = _one_debt_two_phones_two_notices(env)
    loose = _loose_notice(env)
    assert _decide_and_send(env, loose) == "send/gate:pass"
    # the same debt's notice to the same phone: counted (defers)
    assert _decide_and_send(env, mids[0]).startswith("defer/US-20")
    # the same debt's notice to its other phone: must defer as well
    assert _decide_and_send(env, mids[1]).startswith("defer/US-20"), \
        "a second initiated text for one debt within a day (the account-less one was not counted)"


def test_US_20_account_less_lock_covers_every_account_on_the_phone(env: Env):
    """Held: an account-less notice on a phone with two accounts locks both debts;
    a concurrent claim for either account (to another phone) finds the debt busy, and a
    claim for a third account elsewhere does not."""
    if env.backend != "postgresql":
        pytest.skip("PostgreSQL's advisory locks; SQLite serialises writers")
    from storage.models import Phone
    from tests.test_worker import add_account

    a = add_account(env.sessions, ref="A-1", phone=CUSTOMER)
    b = add_account(env.sessions, ref="B-1", phone="+12125550111")
    c = add_account(env.sessions, ref="C-1", phone="+12125550122")
    with env.sessions() as s, s.begin():
        s.add(Phone(e164=CUSTOMER, account_id=b, created_at=NOW))   # B on CUSTOMER too
    loose = _loose_notice(env)
    notices = {}
    for acct, phone in ((a, "+12125550133"), (b, "+12125550111"), (c, "+12125550122")):
        conv = add_conversation(env.sessions, phone=phone, account_id=acct)
        notices[acct] = add_message(env.sessions, conv, status="deferred", to=phone, account_id=acct,
                                    not_before=NOW - dt.timedelta(minutes=1), transport="rest")
    holder = env.sessions()
    holder.begin()
    try:
        outbound.lock_debt(holder, holder.get(Message, loose))
        for acct, busy in ((a, True), (b, True), (c, False)):
            with env.sessions() as s, s.begin():
                if busy:
                    with pytest.raises(outbound.DebtBusy):
                        outbound.lock_debt(s, s.get(Message, notices[acct]))
                else:
                    outbound.lock_debt(s, s.get(Message, notices[acct]))
    finally:
        holder.rollback()
        holder.close()
    with env.sessions() as s, s.begin():   # released with the transaction
        outbound.lock_debt(s, s.get(Message, notices[a]))
