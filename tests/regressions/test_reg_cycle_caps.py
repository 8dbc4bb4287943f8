"""rev3: two initiated messages deferred to the same instant are both sent in one worker
pass when the worker's ``now`` is not the wall clock (``duly worker --once --now``):
Worker._claim sets ``updated_at = now`` on a row whose redecide already set the same value,
so SQLAlchemy's ``onupdate=utcnow`` stamps the WALL clock instead, and the cap count
(coalesce(sent_at, updated_at) in (now - span, now]) misses the first send (US-20, ST-01)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from runner import outbound
from storage.models import Account, Consent, Conversation, Message
from tests.test_worker import (CUSTOMER, NOW, Clock, Recorder, add_account, add_conversation,
                               env, make_worker)  # noqa: F401  (env is a fixture)

UTC = dt.timezone.utc


def test_US_20_two_deferred_initiated_texts_due_together_send_only_one(env):
    ny_0600 = dt.datetime(2031, 3, 3, 11, 0, tzinfo=UTC)   # far from the wall clock, like --now
    acct = add_account(env.sessions)
    conv = add_conversation(env.sessions, account_id=acct)
    with env.sessions() as s, s.begin():
        s.get(Account, acct).delinquent_since = None   # keep the campaign hook out of the way
        s.add(Consent(phone=CUSTOMER, account_id=acct, channel="sms", source="application form",
                      consented_at=dt.datetime(2026, 1, 1, tzinfo=UTC), created_at=NOW))
    ids = []
    # reminders: initiated and capped, but not about a past-due status (US-21 would
    # refuse dunning for this account, whose delinquency is cleared to keep the cadence out)
    for kind in ("reminder", "reminder"):
        with env.sessions() as s, s.begin():
            c = s.get(Conversation, conv)
            out = outbound.submit(s, c, "Hi Pat, your payment of $100.00 is past due. Call 800-555-0199. "
                                        "Reply STOP to opt out.", kind=kind, sender="system", now=ny_0600,
                                  transport="console", account_id=acct, approved=True)
            ids.append(out.message_id)
    with env.sessions() as s:
        assert [s.get(Message, i).status for i in ids] == ["deferred", "deferred"]
    transport = Recorder()
    ny_0800 = ny_0600 + dt.timedelta(hours=2)
    make_worker(env, transport, clock=Clock(ny_0800)).run_once(ny_0800)
    # US-20 product cap: at most 1 proactive text per day per debt
    assert len(transport.sent) == 1, [m["body"][:30] for m in transport.sent]
