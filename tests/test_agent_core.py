"""Agents at the pure core: agent hours, SLA minutes, and promises/plans an agent records
through the bot's own step (G-01, G-02, UK-03)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import agent_hours
from bot.actions import Audit, RecordPlan, RecordPromise
from bot.dialogs import plans as plan_math
from bot.dialogs import step
from bot.types import AgentAction, ConversationState
from tests.test_dialogs_support import NOW, POLICY, SCRIPT, account, facts

UTC = dt.timezone.utc
HOURS = {"zone": "America/New_York", "days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00",
         "end": "20:00", "holidays": ["2026-12-25"]}


@pytest.mark.parametrize("now, expected", [
    (dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC), None),                                   # Mon 10:00 NY
    (dt.datetime(2026, 11, 30, 12, 59, tzinfo=UTC), dt.datetime(2026, 11, 30, 13, 0, tzinfo=UTC)),  # Mon 07:59
    (dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC), dt.datetime(2026, 12, 1, 13, 0, tzinfo=UTC)),      # Mon 20:00 → Tue
    (dt.datetime(2026, 12, 5, 17, 0, tzinfo=UTC), dt.datetime(2026, 12, 7, 13, 0, tzinfo=UTC)),     # Sat → Mon
    (dt.datetime(2026, 12, 25, 15, 0, tzinfo=UTC), dt.datetime(2026, 12, 28, 13, 0, tzinfo=UTC)),   # holiday Fri → Mon
    (dt.datetime(2026, 3, 9, 11, 30, tzinfo=UTC), dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)),      # after DST: 08:00 EDT
])
def test_next_open(now, expected):
    assert agent_hours.next_open(now, HOURS) == expected


def test_no_hours_means_always_on_shift():
    assert agent_hours.next_open(dt.datetime(2026, 12, 5, 3, 0, tzinfo=UTC), None) is None
    assert agent_hours.next_open(dt.datetime(2026, 12, 5, 3, 0, tzinfo=UTC), {}) is None


def test_no_working_day_at_all():
    assert agent_hours.next_open(dt.datetime(2026, 12, 5, 3, 0, tzinfo=UTC), {**HOURS, "days": []}) is None


def test_sla_minutes_by_reason_with_default():
    conf = {"sla_minutes": {"agent_request": 15, "default": 45}}
    assert agent_hours.sla_minutes(conf, "agent_request") == 15
    assert agent_hours.sla_minutes(conf, "dispute") == 45
    assert agent_hours.sla_minutes({}, "dispute") == 60


def _agent(kind, **data):
    st = ConversationState("menu", {"promise": {"amount_minor": 1}}, "agent")
    return step(st, AgentAction(kind, "sam@x.test", data), SCRIPT, facts(), NOW)


def test_agent_records_a_promise_from_structured_entry():   # G-02
    st, acts = _agent("record_promise", account_ref="ACC-100-4521", amount_minor=8000, due_date="2026-12-04")
    assert [a for a in acts if isinstance(a, RecordPromise)] == [
        RecordPromise("ACC-100-4521", 8000, dt.date(2026, 12, 4), source="agent:sam@x.test")]
    assert "promise" not in st.slots and st.mode == "agent"
    assert not any(isinstance(a, Audit) and a.rule == "UK-03" for a in acts)


def test_agent_may_agree_out_of_policy_and_it_is_audited():   # UK-03: a person reviews counter-offers
    _, acts = _agent("record_promise", account_ref="ACC-100-4521", amount_minor=500, due_date="2027-02-01")
    assert len([a for a in acts if isinstance(a, RecordPromise)]) == 1
    assert [a.detail["agent_agreed_out_of_policy"] for a in acts if isinstance(a, Audit) and a.rule == "UK-03"] == [True]


@pytest.mark.parametrize("data", [
    {"account_ref": "ACC-100-4521", "amount_minor": 0, "due_date": "2026-12-04"},
    {"account_ref": "ACC-100-4521", "amount_minor": 8000, "due_date": "2026-11-29"},   # yesterday in NY
    {"account_ref": "ACC-100-4521", "amount_minor": 8000, "due_date": "not a date"},
    {"account_ref": "NOPE", "amount_minor": 8000, "due_date": "2026-12-04"},
])
def test_agent_promise_refused(data):
    _, acts = _agent("record_promise", **data)
    assert not any(isinstance(a, RecordPromise) for a in acts)
    assert any(isinstance(a, Audit) and a.rule == "G-02" and "agent_error" in a.detail for a in acts)


def test_agent_records_a_plan_the_policy_offers():
    offers = plan_math.offers(30000, "USD", POLICY["plans"], dt.date(2026, 11, 30))
    _, acts = _agent("record_plan", account_ref="ACC-100-4521", option=2)
    [rec] = [a for a in acts if isinstance(a, RecordPlan)]
    assert (rec.kind, rec.instalments, rec.source) == (offers[1].kind, offers[1].instalments, "agent:sam@x.test")
    assert sum(a for _, a in rec.instalments) == offers[1].total_minor


def test_agent_plan_option_out_of_range():
    _, acts = _agent("record_plan", account_ref="ACC-100-4521", option=99)
    assert not any(isinstance(a, RecordPlan) for a in acts)
