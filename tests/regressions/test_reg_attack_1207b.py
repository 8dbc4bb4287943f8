"""Attack 1207b (regressions): findings against 45508d0 (TwiML sweep, PROMETHEUS_MULTIPROC_DIR check),
e47f680 (open hand-off raised by a more urgent one) and 511ec97/125ced9 (UK-07 words).
Every test here failed on main at 125ced9 and passes with the fixes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from storage.models import Handoff as HandoffRow, Hold
from tests.live import Duly

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
DANA = "+15555550101"


# --- 2. the open hand-off raised by a more urgent one -----------------------------------

def test_UK_07_self_harm_while_the_fail_safe_handoff_is_open_gets_an_sla_and_an_alert(db_url, monkeypatch):
    """A message the step could not act on opens the fail-safe hand-off (reason ``error``,
    priority 1, *no* ``sla_due_at`` although ``[agent.sla_minutes] error = 15``). The
    customer then texts self-harm words: the dialog's priority-1 hand-off is not "more
    urgent" than priority 1, so the open one keeps no SLA and ``sla_sweep`` never alerts."""
    from runner.agents import sla_sweep
    from runner.inbound import Runner

    real_act = Runner._act
    calls = {"n": 0}

    def flaky(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return real_act(self, *a, **kw)

    monkeypatch.setattr(Runner, "_act", flaky)
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        assert duly.sms("hello?", frm=DANA).status_code == 200
        with duly.services.sessions() as s:
            [ho] = s.scalars(select(HandoffRow)).all()
            assert (ho.reason, ho.priority) == ("error", 1)
        duly.clock.advance(minutes=1)
        assert duly.sms("honestly i just want to kill myself", frm=DANA).status_code == 200
        with duly.services.sessions() as s:
            [ho] = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert ho.sla_due_at is not None, "self-harm escalation with no SLA: never alerted"
        assert sla_sweep(duly.services.sessions, duly.clock() + dt.timedelta(minutes=31)) == 1


def test_UK_07_bereavement_while_a_dispute_waits_brings_the_sla_forward(db_url):
    """Same priority (2), shorter SLA: a dispute's hand-off (60 min) is open when the
    customer writes that her husband just died (hardship, 30 min). The SLA stays at the
    dispute's 60 minutes because only a *lower priority number* moves it."""
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        assert duly.sms("I dispute this debt", frm=DANA).status_code == 200
        duly.clock.advance(minutes=1)
        assert duly.sms("my husband just died", frm=DANA).status_code == 200
        with duly.services.sessions() as s:
            [ho] = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert ho.sla_due_at <= duly.clock() + dt.timedelta(minutes=30), (ho.reason, ho.sla_due_at)


# --- 3. UK-07 words ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "can i get a breakdown of the charges",
    "give me a breakdown of the fees",
    "I paid at the terminal",
    "我想死你了",          # "I miss you terribly" (colloquial)
    "I'm not sick, just broke",
])
def test_UK_07_ordinary_replies_are_no_vulnerability(text):
    from bot.dialogs.engine import _SELF_HARM, _VULNERABLE

    assert not _VULNERABLE.search(text) and not _SELF_HARM.search(text)


def test_UK_07_breakdown_request_is_answered_not_held_e2e(db_url):
    """Through real HTTP: asking for a breakdown of the charges places a vulnerability
    hold and flag on the account, opens a hardship hand-off and refuses the bot's answer."""
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        assert duly.sms("can i get a breakdown of the charges", frm=DANA).status_code == 200
        conv = duly.conversation(DANA)
        assert "vulnerability" not in conv["flags"], conv["flags"]


def test_UK_07_repeated_vulnerable_messages_keep_one_hold(db_url):
    """Each later vulnerable message (the conversation already with an agent) adds
    another active vulnerability hold row on the same account."""
    with Duly(db_url) as duly:
        assert duly.import_accounts(ACCOUNTS).errors == []
        for text in ("my husband just died", "i am in hospital", "i want to kill myself"):
            assert duly.sms(text, frm=DANA).status_code == 200
            duly.clock.advance(minutes=1)
        with duly.services.sessions() as s:
            holds = s.scalars(select(Hold).where(Hold.kind == "vulnerability", Hold.cleared_at.is_(None))).all()
            assert len(holds) == 1, [(h.id, h.account_id, h.source_message_id) for h in holds]


# --- 4. PROMETHEUS_MULTIPROC_DIR -----------------------------------------------------------

def test_multiproc_dir_that_cannot_be_written_is_refused():
    """``isdir`` passes for a directory the process cannot create files in; prometheus_client
    then raises at the first ``labels()`` (the webhook timer's, on every webhook, with a
    traceback) and the counts are dropped — what the check was meant to stop."""
    from duly.metrics import multiproc_dir_problem

    assert multiproc_dir_problem({"PROMETHEUS_MULTIPROC_DIR": "/proc"}) is not None


def test_empty_multiproc_dir_is_refused_or_truly_unset():
    """``PROMETHEUS_MULTIPROC_DIR=`` (set, empty) passes the check as "unset", but
    prometheus_client tests ``in os.environ``: multiprocess mode, files written to the cwd
    (``histogram_<pid>.db``), while ``/metrics`` reads only this process's figures."""
    from duly.metrics import multiproc_dir_problem

    assert multiproc_dir_problem({"PROMETHEUS_MULTIPROC_DIR": ""}) is not None
