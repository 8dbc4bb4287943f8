"""One arrangement per debt, end to end through real HTTP (signed webhooks to uvicorn, the
console, the worker's sweep): the overlap bug and its neighbours.

The bug: Dana promised $50 for Friday, then texted "plan" and accepted a plan. Both stayed
in force: the promise got its reminder on Thursday and was marked broken on Saturday (a
"we haven't seen your payment" follow-up) while she was paying the plan. Now the plan
supersedes the promise (``superseded``: no reminder, never broken), a promise while the
plan is active counts toward it, another "plan" goes to a person, an agent cannot add a
promise beside the plan, and a changed promise replaces the pending one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.dialogs.engine import format_date
from runner.arrangements import sweep
from storage.models import Decision, Event, Handoff, Instalment, Plan, Promise
from tests.live import Duly, add_user, console_login, replies_in
from tests.test_console_http import err

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,creditor,consent_source,language
ACME-1,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,Northwind Card,application,en
"""
DANA = "+15555550101"
UTC = dt.timezone.utc


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        yield d


def texts(duly, body: str) -> list[str]:
    r = duly.sms(body, frm=DANA)
    assert r.status_code == 200
    return replies_in(r.text)


def promises(duly) -> list[tuple[int, dt.date, str]]:
    with duly.services.sessions() as s:
        return [(p.amount_minor, p.due_date, p.status) for p in s.scalars(select(Promise).order_by(Promise.id))]


def follow_ups(duly) -> list[tuple[str, str]]:
    return [(m["kind"], m["body"]) for m in duly.conversation(DANA)["messages"]
            if m["direction"] == "outbound" and m["kind"] in ("reminder", "followup")]


def test_a_plan_supersedes_the_pending_promise_and_nothing_runs_for_it(duly):
    # Monday 30 Nov, 10:00 in New York: a promise of $50 for Friday
    texts(duly, "I can pay $50 on friday")
    assert texts(duly, "yes") == ["Confirmed: $50.00 on Fri Dec 4. Thank you. Reply STOP to opt out."]
    # "plan": the bot says the plan would replace the promise, then lists the plans
    note, offer = texts(duly, "plan")
    assert note == ("You have a promise to pay $50.00 on Fri Dec 4. If you choose a plan, it replaces "
                    "that promise. Reply NO to keep your promise.")
    assert offer.startswith("Payment plans for $312.50:\n1) ")
    texts(duly, "1")
    [done] = texts(duly, "yes")
    assert done.startswith("Your plan is set up. It replaces your promise of $50.00 on Fri Dec 4. Payments:\n")
    with duly.services.sessions() as s:
        [promise] = s.scalars(select(Promise)).all()
        [plan] = s.scalars(select(Plan)).all()
        first = s.scalars(select(Instalment).where(Instalment.plan_id == plan.id)
                          .order_by(Instalment.seq)).first()
        assert (promise.status, plan.status) == ("superseded", "active")
        [ev] = s.scalars(select(Event).where(Event.kind == "promise.superseded")).all()
        assert ev.payload == {"promise_id": promise.id, "currency": "USD", "amount": "50.00",
                              "due_date": "2026-12-04", "by_plan_id": plan.id}
        assert s.scalar(select(Decision.detail).where(Decision.rule == "G-02",
                                                      Decision.actor == "system")) == {
            "promise_id": promise.id, "superseded": True, "by_plan_id": plan.id}
    # the worker: no reminder on Thursday, not broken on Saturday, no follow-up
    assert sweep(duly.services.sessions, duly.settings, dt.datetime(2026, 12, 3, 16, tzinfo=UTC))[
        "promise_reminders"] == 0
    assert sweep(duly.services.sessions, duly.settings, dt.datetime(2026, 12, 5, 15, tzinfo=UTC))[
        "promises_broken"] == 0
    assert promises(duly) == [(5000, dt.date(2026, 12, 4), "superseded")]
    assert [k for k, _ in follow_ups(duly)] == []

    # a promise while the plan is active counts toward the plan: nothing new is recorded
    nxt = f"${first.amount_minor / 100:,.2f}, due {format_date(first.due_date, 'en')}"
    assert texts(duly, "I can pay $50 on friday") == [
        f"Thanks. Your payment plan stays as agreed: $50.00 on Fri Dec 4 will count toward it (next payment {nxt})."]
    assert promises(duly) == [(5000, dt.date(2026, 12, 4), "superseded")]

    # another "plan": no second plan beside it; a person talks about changing it
    assert texts(duly, "plan") == [f"Your payment plan is in place: your next payment is {nxt}. "
                                   "A member of our team will contact you to talk about changing it."]
    with duly.services.sessions() as s:
        assert len(s.scalars(select(Plan)).all()) == 1
        reason, cid = s.execute(select(Handoff.reason, Handoff.conversation_id)
                                .where(Handoff.resolved_at.is_(None))).one()
        assert reason == "plan_change"

    # the agent who takes it over cannot add a promise beside the plan; a new plan replaces it
    add_user(duly, "agent@x.test", "agent")
    c, csrf = console_login(duly, "agent@x.test")
    c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
    r = c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "ACME-1",
                                                  "amount": "50.00", "due_date": "2026-12-04"})
    assert err(r) == (f"not recorded: the account has an active payment plan (next payment "
                      f"${first.amount_minor / 100:,.2f} due {first.due_date.isoformat()}): a payment toward it "
                      "needs no promise; to change the arrangement, record a new plan (it replaces the current one)")
    assert err(c.post(f"/console/c/{cid}/plan", data={"csrf_token": csrf, "account_ref": "ACME-1",
                                                      "option": "2"})) is None
    with duly.services.sessions() as s:
        assert [p.status for p in s.scalars(select(Plan).order_by(Plan.id))] == ["superseded", "active"]
        assert len(s.scalars(select(Promise)).all()) == 1
        assert s.scalar(select(Event.kind).where(Event.kind == "plan.superseded")) == "plan.superseded"


def test_a_changed_promise_replaces_the_pending_one(duly):
    texts(duly, "I can pay $50 on friday")
    texts(duly, "yes")
    [ask] = texts(duly, "actually I can pay $80 on monday")
    assert ask.startswith("This replaces your promise of $50.00 on Fri Dec 4. You'll pay $80.00 on Mon Dec 7.")
    assert texts(duly, "yes") == ["Confirmed: $80.00 on Mon Dec 7. It replaces your promise of $50.00 on Fri Dec 4. "
                                  "Thank you. Reply STOP to opt out."]
    assert promises(duly) == [(5000, dt.date(2026, 12, 4), "superseded"), (8000, dt.date(2026, 12, 7), "pending")]
    # the same promise again adds nothing
    texts(duly, "I can pay $80 on monday")
    assert texts(duly, "yes") == ["Confirmed: $80.00 on Mon Dec 7. Thank you. Reply STOP to opt out."]
    assert len(promises(duly)) == 2
    run = lambda when: sweep(duly.services.sessions, duly.settings, when)  # noqa: E731
    assert run(dt.datetime(2026, 12, 3, 16, tzinfo=UTC))["promise_reminders"] == 0     # none for Friday
    assert run(dt.datetime(2026, 12, 5, 15, tzinfo=UTC))["promises_broken"] == 0       # Friday's is gone
    assert run(dt.datetime(2026, 12, 6, 16, tzinfo=UTC))["promise_reminders"] == 1     # Sunday: Monday's
    [(kind, body)] = follow_ups(duly)
    assert kind == "reminder" and "$80.00" in body and "Mon Dec 7" in body


def test_the_facts_carry_the_arrangement_without_another_statement(duly):
    """``facts_for`` reads each account's pending promise and active plan (its next unpaid
    instalment) in the accounts' own statement: a reply webhook on a debt with a promise
    costs no more statements than the cap of tests/test_webhook_cpu_statements.py."""
    from bot.types import PlanFacts, PromiseFacts
    from storage.models import Account, Conversation
    from tests.test_webhook_cpu_statements import _statements

    texts(duly, "I can pay $50 on friday")
    texts(duly, "yes")
    seen, r = _statements(duly, "balance")
    assert len(replies_in(r.text)) == 1
    assert len(seen) <= 22, "\n".join(x.split("\n")[0][:100] for x in seen)
    runner = duly.services.runner
    with duly.services.sessions() as s:
        conv = s.scalar(select(Conversation))
        [acct] = runner.facts_for(s, conv, runner.clock())[0].accounts
        pid = s.scalar(select(Promise.id))
        assert (acct.promise, acct.plan) == (PromiseFacts(pid, 5000, dt.date(2026, 12, 4)), None)
    # a plan whose first instalment is paid and second missed: the missed one is next
    with duly.services.sessions() as s, s.begin():
        aid = s.scalar(select(Account.id))
        plan = Plan(account_id=aid, kind="instalments", total_minor=30000, currency="USD", status="active",
                    source="api", created_at=runner.clock(), updated_at=runner.clock())
        s.add(plan)
        s.flush()
        for seq, (due, status) in enumerate([(dt.date(2026, 11, 1), "paid"), (dt.date(2026, 11, 20), "missed"),
                                             (dt.date(2026, 12, 20), "pending")], start=1):
            s.add(Instalment(plan_id=plan.id, seq=seq, due_date=due, amount_minor=10000 + seq, status=status))
        plan_id = plan.id
    with duly.services.sessions() as s:
        [acct] = runner.facts_for(s, s.scalar(select(Conversation)), runner.clock())[0].accounts
        assert acct.plan == PlanFacts(plan_id, "instalments", 10002, dt.date(2026, 11, 20), next_missed=True)
