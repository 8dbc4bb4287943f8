"""runner.results on SQLite and PostgreSQL: grouping by (step, template, revision, variant),
exact counts, last-touch attribution, the attribution window, variants and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest

from bot.stats import newcombe_diff
from runner.results import (METRICS, ResultRow, results, results_csv, variant_comparison)
from storage.models import (Account, CadenceSend, Conversation, Flag, Handoff, Message, OptOut, Payment, Phone,
                            Plan, Promise)

UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 1, tzinfo=UTC)
END = dt.datetime(2026, 11, 15, tzinfo=UTC)
T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
OURS = "+15555550100"
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


class World:
    def __init__(self, s):
        self.s = s

    def account(self, i: int, currency: str = "USD") -> tuple[Account, Conversation]:
        phone = f"+1555555{i:04d}"
        a = Account(account_ref=f"R-{i}", name=f"Customer {i}", currency=currency, balance_minor=100000,
                    past_due_minor=20000, timezone="America/New_York", profile="us_first_party",
                    created_at=START - 30 * D, updated_at=START - 30 * D)
        self.s.add(a)
        self.s.flush()
        self.s.add(Phone(e164=phone, account_id=a.id, created_at=START - 30 * D))
        c = Conversation(customer_phone=phone, our_number=OURS, account_id=a.id,
                         created_at=START - 30 * D, updated_at=START - 30 * D)
        self.s.add(c)
        self.s.flush()
        return a, c

    def out(self, c: Conversation, t: dt.datetime, template: str | None, *, variant: str | None = "A",
            revision: int | None = 3, step: str | None = None, status: str = "delivered",
            sender: str = "system", sent_at: dt.datetime | None = None, kind: str = "notice") -> Message:
        params = None
        if template is not None:
            params = {"template": template}
            if variant is not None:
                params["variant"] = variant
            if revision is not None:
                params["revision"] = revision
        left = status not in ("refused", "deferred", "pending")
        m = Message(conversation_id=c.id, direction="outbound", from_number=OURS, to_number=c.customer_phone,
                    body="text", status=status, kind=kind, sender=sender, params=params,
                    account_id=c.account_id, created_at=t, updated_at=t,
                    sent_at=(sent_at or t + dt.timedelta(seconds=30)) if left else None)
        self.s.add(m)
        self.s.flush()
        if step is not None:
            self.s.add(CadenceSend(account_id=c.account_id, step=step, delinquent_since=dt.date(2026, 10, 1),
                                   profile="us_first_party", status="queued", message_id=m.id, created_at=t))
        return m

    def inbound(self, c: Conversation, t: dt.datetime) -> None:
        self.s.add(Message(conversation_id=c.id, direction="inbound", from_number=c.customer_phone,
                           to_number=OURS, body="hi", status="received", created_at=t, updated_at=t,
                           params={"From": c.customer_phone, "Body": "hi"}, provider_sid="SM" + uuid.uuid4().hex))

    def payment(self, a: Account, t: dt.datetime, minor: int, currency: str = "USD",
                reversed_at: dt.datetime | None = None) -> None:
        self.s.add(Payment(payment_ref="P" + uuid.uuid4().hex, account_id=a.id, amount_minor=minor, currency=currency,
                           paid_at=t, created_at=t, reversed_at=reversed_at))

    def promise(self, a: Account, t: dt.datetime, status: str = "pending") -> None:
        self.s.add(Promise(account_id=a.id, amount_minor=5000, currency=a.currency, due_date=t.date() + 3 * D,
                           status=status, created_at=t, updated_at=t))

    def plan(self, a: Account, t: dt.datetime) -> None:
        self.s.add(Plan(account_id=a.id, kind="instalments", total_minor=20000, currency=a.currency,
                        created_at=t, updated_at=t))


@pytest.fixture
def data(session):
    w = World(session)
    s = session
    # 1: notice A, a reply, then a bot reply (template promise_ask) that takes over the
    #    later outcomes: a second reply, a kept promise and a payment.
    a1, c1 = w.account(1)
    w.out(c1, T0, "cadence_first", step="day1")
    w.inbound(c1, T0 + H)
    w.out(c1, T0 + H + dt.timedelta(seconds=5), "promise_ask", sender="bot", kind="reply", status="sent")
    w.inbound(c1, T0 + H + dt.timedelta(minutes=2))
    w.promise(a1, T0 + 2 * H, status="kept")
    w.payment(a1, T0 + D, 10000)
    # 2: notice B; an agent's text (not Duly's) between; a reply; wrong number; opt-out
    a2, c2 = w.account(2)
    w.out(c2, T0, "cadence_first", variant="B", step="day1")
    w.out(c2, T0 + D, None, sender="agent:a@x.test", kind="agent")
    w.inbound(c2, T0 + 2 * D)
    s.add(Flag(conversation_id=c2.id, name="wrong_number", created_at=T0 + 2 * D))
    s.add(OptOut(phone=c2.customer_phone, source="inbound", created_at=T0 + 2 * D))
    # 3: notice B that failed: sent, not delivered, and nothing is attributed to it
    a3, c3 = w.account(3)
    w.out(c3, T0, "cadence_first", variant="B", step="day1", status="failed")
    w.inbound(c3, T0 + H)
    w.promise(a3, T0 + 2 * H)
    # 4: notice A; a reply after the 7-day window; a handoff; a EUR payment and a reversed one
    a4, c4 = w.account(4, "EUR")
    w.out(c4, T0, "cadence_first", step="day1")
    w.inbound(c4, T0 + 8 * D)
    s.add(Handoff(conversation_id=c4.id, reason="agent_request", created_at=T0 + 3 * D))
    w.payment(a4, T0 + 2 * D, 500, "EUR")
    w.payment(a4, T0 + 2 * D, 700, "EUR", reversed_at=T0 + 4 * D)
    # 5: an old-style row (no variant, no revision) that was refused; a plan nobody earned;
    #    a day-3 notice made before the end, sent after it, replied to after that
    a5, c5 = w.account(5)
    w.out(c5, T0, "cadence_first", variant=None, revision=None, step="day1", status="refused")
    w.plan(a5, T0 + H)
    w.out(c5, END - D, "cadence_third", step="day3", sent_at=END + 5 * D)
    w.inbound(c5, END + 6 * D)
    # 6: a notice before the period owns the early reply; a day-2 notice in it earns a
    #    pending promise and a plan; one after the end is not in the page
    a6, c6 = w.account(6)
    w.out(c6, START - 2 * D, "cadence_first", step="day1")
    w.inbound(c6, START + H)
    w.out(c6, T0, "cadence_second", step="day2")
    w.promise(a6, T0 + D)
    w.plan(a6, T0 + D)
    w.out(c6, END, "cadence_third", step="day3")
    # a bot text without a template, and an inbound message's params, are ignored
    w.out(c6, T0 + H, None, sender="bot", kind="reply")
    s.commit()
    return {"a1": a1, "c1": c1}


def by_key(rows):
    return {r.key: r for r in rows}


def counts(r: ResultRow) -> dict[str, int]:
    return {k: getattr(r, k) for k in ("created", "sent", *METRICS)}


def zero(**kw: int) -> dict[str, int]:
    base = {k: 0 for k in ("created", "sent", *METRICS)}
    base.update(kw)
    return base


def test_groups_and_counts(session, data):
    rows = results(session, START, END)
    got = by_key(rows)
    assert list(got) == [
        ("day1", "cadence_first", 3, "A"),
        ("day1", "cadence_first", 3, "B"),
        ("day1", "cadence_first", None, "A"),
        ("day2", "cadence_second", 3, "A"),
        ("day3", "cadence_third", 3, "A"),
        (None, "promise_ask", 3, "A"),
    ]
    # accounts 1 and 4: a1's reply; a4's handoff and EUR payment (reversed one left out,
    # late reply outside the window); a1's later outcomes went to promise_ask
    assert counts(got[("day1", "cadence_first", 3, "A")]) == zero(
        created=2, sent=2, delivered=2, replied=1, right_party=1, paid=1, handed_off=1)
    assert got[("day1", "cadence_first", 3, "A")].paid_minor == {"EUR": 500}
    # accounts 2 and 3: the failed one counts as sent but earns nothing; wrong number
    assert counts(got[("day1", "cadence_first", 3, "B")]) == zero(
        created=2, sent=2, delivered=1, replied=1, opted_out=1)
    assert counts(got[("day1", "cadence_first", None, "A")]) == zero(created=1)
    assert counts(got[("day2", "cadence_second", 3, "A")]) == zero(
        created=1, sent=1, delivered=1, promised=1, plans=1)
    assert counts(got[("day3", "cadence_third", 3, "A")]) == zero(created=1, sent=1, delivered=1, replied=1,
                                                                   right_party=1)
    ask = got[(None, "promise_ask", 3, "A")]
    assert counts(ask) == zero(created=1, sent=1, replied=1, right_party=1, promised=1, kept=1, paid=1)
    assert ask.paid_minor == {"USD": 10000}
    assert ask.rate("replied") == 1.0 and got[("day1", "cadence_first", None, "A")].rate("replied") is None


def test_outcomes_are_counted_once(session, data):
    rows = results(session, START, END)
    # four replies earned something in the period: c1 (twice, two messages), c2, c5
    assert sum(r.replied for r in rows) == 4
    assert sum(r.promised for r in rows) == 2      # a1's and a6's; a3's followed a failed text
    assert sum(r.plans for r in rows) == 1         # a5's plan had no message that reached anyone


def test_attribution_window(session, data):
    rows = by_key(results(session, START, END, attribution_days=10))
    assert rows[("day1", "cadence_first", 3, "A")].replied == 2          # c4's late reply now counts
    short = by_key(results(session, START, END, attribution_days=0))
    assert all(r.replied == 0 and r.promised == 0 for r in short.values())


def test_period_bounds(session, data):
    # only account 6's pre-period notice and the early reply it owns
    rows = by_key(results(session, START - 3 * D, START))
    assert list(rows) == [("day1", "cadence_first", 3, "A")]
    assert counts(rows[("day1", "cadence_first", 3, "A")]) == zero(created=1, sent=1, delivered=1, replied=1,
                                                                     right_party=1)
    # the day-3 notice made exactly at END belongs to the next period
    later = by_key(results(session, END, END + D))
    assert list(later) == [("day3", "cadence_third", 3, "A")]
    assert results(session, START - 100 * D, START - 50 * D) == []
    with pytest.raises(ValueError):
        results(session, START.replace(tzinfo=None), END)


def test_later_message_takes_over(session, data):
    """A Duly text made after the period still takes over the outcomes after it."""
    w = World(session)
    c1, a1 = data["c1"], data["a1"]
    w.out(c1, END - H, "cadence_fourth", step="day4")
    w.out(c1, END + dt.timedelta(minutes=1), "cadence_fifth", step="day5")
    w.inbound(c1, END + dt.timedelta(seconds=20))        # before day5 went: day4's
    w.inbound(c1, END + dt.timedelta(minutes=5))         # day5's
    w.promise(a1, END + dt.timedelta(minutes=10))        # day5's
    session.commit()
    rows = by_key(results(session, START, END))
    assert counts(rows[("day4", "cadence_fourth", 3, "A")]) == zero(created=1, sent=1, delivered=1, replied=1,
                                                                     right_party=1)
    assert ("day5", "cadence_fifth", 3, "A") not in rows


def test_step_from_params(session, data):
    w = World(session)
    m = w.out(data["c1"], END - H, "cadence_fourth")
    m.params = {**m.params, "step": "day4"}
    session.commit()
    assert ("day4", "cadence_fourth", 3, "A") in by_key(results(session, START, END))


def test_variant_comparison(session, data):
    rows = results(session, START, END)
    diffs = variant_comparison(rows)
    assert {(d.step, d.template, d.revision, d.baseline, d.variant) for d in diffs} == {
        ("day1", "cadence_first", 3, "A", "B")}
    assert [d.metric for d in diffs] == list(METRICS)
    replied = next(d for d in diffs if d.metric == "replied")
    assert (replied.base_count, replied.base_sent, replied.count, replied.sent) == (1, 2, 1, 2)
    assert replied.interval == newcombe_diff(1, 2, 1, 2)
    assert replied.difference == 0 and not replied.significant


def test_variant_comparison_pure():
    a = ResultRow("day1", "t", 2, "A", created=80, sent=80, replied=48)
    b = ResultRow("day1", "t", 2, "B", created=70, sent=70, replied=56)
    c = ResultRow("day1", "t", 2, "C", created=0, sent=0)
    other = ResultRow("day1", "t", 3, "B", created=5, sent=5, replied=1)     # alone in its revision
    diffs = variant_comparison([c, b, other, a], metrics=("replied",))
    assert len(diffs) == 1
    d = diffs[0]
    assert (d.baseline, d.variant, d.base_rate, d.rate) == ("A", "B", 0.6, 0.8)
    assert round(d.difference, 4) == 0.2 and (round(d.interval.lower, 4), round(d.interval.upper, 4)) == (0.0524, 0.3339)
    assert d.significant
    # without an A, the first variant by name is the baseline
    diffs = variant_comparison([ResultRow(None, "t", None, "C", sent=10, replied=1),
                                ResultRow(None, "t", None, "B", sent=10, replied=2)], metrics=("replied",))
    assert [(d.baseline, d.variant) for d in diffs] == [("B", "C")]


def test_csv(session, data):
    rows = results(session, START, END)
    text = results_csv(rows)
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    assert header[:6] == ["step", "template", "revision", "variant", "created", "sent"]
    assert header[-2:] == ["paid_EUR", "paid_USD"]
    assert "replied_rate" in header and "right_party" in header
    assert len(table) == 1 + len(rows)
    first = dict(zip(header, table[1]))
    assert first["step"] == "day1" and first["revision"] == "3" and first["variant"] == "A"
    assert first["replied"] == "1" and first["replied_rate"] == "0.5000"
    assert first["paid_EUR"] == "5.00" and first["paid_USD"] == "0.00"
    none_rev = dict(zip(header, table[3]))
    assert none_rev["revision"] == "" and none_rev["replied_rate"] == ""
    ask = dict(zip(header, table[-1]))
    assert ask["step"] == "" and ask["template"] == "promise_ask" and ask["paid_USD"] == "100.00"


def test_csv_cells_are_not_formulas():
    text = results_csv([ResultRow("=HYPERLINK(1)", "@x", None, "+B", sent=1)])
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[:4] == ["'=HYPERLINK(1)", "'@x", "", "'+B"]
