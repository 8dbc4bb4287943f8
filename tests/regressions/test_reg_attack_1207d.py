"""Attack findings on the hand-off/promise silence (cadence merge), each failing before its fix: a plan agreed after a cadence text was queued did not stop it (G-02)."""
import datetime as dt
import pytest
from sqlalchemy import select

SAM = "+15555550102"
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,timezone,creditor,consent_source,consent_at
SIL-1,Sam Ortega,+1 555 555 0102,480.00,35,160.00,USD,2026-12-10,America/Chicago,Northwind Card Services,card application,2024-06-11T12:00:00Z
"""


def test_plan_agreed_after_cadence_queued_still_dunned(db_url):
    from storage.models import Message, Plan
    from tests.live import Clock, Duly, replies_in
    from tests.test_cycle_e2e import duly_cli

    queued_at = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.timezone.utc)       # 07:00 Chicago
    with Duly(db_url, clock=Clock(queued_at + dt.timedelta(minutes=30))) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        r = duly_cli(db_url, "campaign", "run", "--now", queued_at.isoformat())
        assert r.returncode == 0 and "SIL-1" in r.stdout, r.stdout + r.stderr
        with d.services.sessions() as s:
            (notice,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert notice.status == "deferred"
        for line in ("plan", "2", "yes"):
            assert replies_in(d.sms(line, frm=SAM).text)
        with d.services.sessions() as s:
            plans = s.scalars(select(Plan)).all()

            assert plans and plans[0].status == "active"
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")   # 09:00 Chicago

        from storage.models import Decision
        with d.services.sessions() as s:
            verdicts = [(x.rule, x.verdict) for x in s.scalars(select(Decision).where(Decision.message_id == notice.id))]
        assert ("G-02", "refuse") in verdicts, verdicts
        assert "past due" not in w.stdout, w.stdout


UK = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check
UK-9001,Olivia Hughes,+44 7700 900123,900.00,20,300.00,25.00,GBP,Europe/London,en,Northwind UK,uk,SW1A 1AA
"""
UK_RENAMED = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check
UK-9001,Peter Smith,+44 7700 900456,4321.00,20,1234.00,25.00,GBP,Europe/London,en,Northwind UK,uk,N1 9GU
"""
UK_SPELLING = UK.replace("Olivia Hughes", "Olivia Hughes-Smith")
OLIVIA = "+447700900123"


def test_UK_06_a_reimport_naming_another_person_with_a_new_phone_is_refused(db_url):
    # attack: the rename landed with a warning; Olivia's phone, her identity already
    # confirmed, then got "Your balance is £4,321.00" — Peter's debt
    from tests.live import Duly, replies_in

    with Duly(db_url) as d:
        assert d.import_accounts(UK).errors == []
        replies_in(d.sms("whats my balance", frm=OLIVIA).text)
        replies_in(d.sms("my postcode is sw1a 1aa", frm=OLIVIA).text)
        assert any("£300.00" in b for b in replies_in(d.sms("whats my balance", frm=OLIVIA).text))
        rep = d.import_accounts(UK_RENAMED)
        assert [line for line, _ in rep.errors] == [2] and "refused" in rep.errors[0][1]
        out = replies_in(d.sms("whats my balance", frm=OLIVIA).text)
        assert not any("1,234.00" in b or "4,321.00" in b or "Peter" in b for b in out), out
        # a spelling fix on the same number still lands, with its warning
        rep = d.import_accounts(UK_SPELLING)
        assert rep.errors == [] and rep.updated == 1 and len(rep.warnings) == 1


def test_US_20_one_account_ref_written_five_ways_in_one_file_is_one_account(session_factory):
    # attack: T-1, t-1, Ｔ-1, T\u200b-1 and "T  -1" made five accounts and five texts to
    # one phone in one worker pass
    from storage.accounts import import_rows
    from storage.models import Account
    from tests.test_accounts_import import _kw

    refs = ["T-1", "t-1", "\uff34-1", "T\u200b-1", "T  -1"]
    rows = [(i + 2, {"account_ref": r, "name": "Alex Good", "phone": "555-555-0111", "balance": "100",
                     "days_past_due": "15"}) for i, r in enumerate(refs)]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw())
        s.commit()
        assert report.created == 1
        assert [line for line, _ in report.errors] == [3, 4, 5, 6]
        assert all("repeats line 2" in msg for _, msg in report.errors)
        assert s.scalars(select(Account.account_ref)).all() == ["T-1"]


def test_US_21_a_followup_about_a_late_instalment_is_not_a_days_past_due_claim():
    # attack: a missed-instalment follow-up stating "3 days late" was refused (US-21) on a
    # debt 40 days past due, and lost
    from bot.gate import Candidate, GateContext, decide
    from bot.lint import stated_days_past_due

    body = ("Hi Sam, your $50.00 payment due Dec 4 is 3 days late. If things are hard, reply HELP "
            "and we'll work with you. Reply STOP to opt out.")
    c = Candidate("followup", sender="system", in_reply_to_inbound=False, approved=True,
                  stated_dpd=stated_days_past_due(body))
    assert decide(c, GateContext(consent=True, dpd=40)).action == "send"
    stale = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True,
                      stated_dpd=stated_days_past_due("Your account is 30 days past due. Reply STOP to opt out."))
    assert decide(stale, GateContext(consent=True, dpd=40)).rule == "US-21"


def test_G_01_a_take_over_refuses_the_texts_that_wait_even_after_a_hand_back(db_url):
    # attack: a take-over writes no hand-off row; handed back before 08:00, the cadence
    # text queued at 07:00 still went at 09:00
    from storage.models import Decision, Message
    from tests.live import Clock, Duly
    from tests.test_cycle_e2e import duly_cli

    queued_at = dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.timezone.utc)       # 07:00 Chicago
    with Duly(db_url, clock=Clock(queued_at + dt.timedelta(minutes=10))) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        r = duly_cli(db_url, "campaign", "run", "--now", queued_at.isoformat())
        assert r.returncode == 0 and "SIL-1" in r.stdout, r.stdout + r.stderr
        d.sms("hi", frm=SAM)
        assert duly_cli(db_url, "agent", "takeover", SAM, "--agent", "ann@x").returncode == 0
        assert duly_cli(db_url, "agent", "handback", SAM, "--agent", "ann@x").returncode == 0
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")   # 09:00 Chicago
        assert "past due" not in w.stdout, w.stdout
        with d.services.sessions() as s:
            (notice,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert notice.status == "refused"
            assert s.scalar(select(Decision.rule).where(Decision.message_id == notice.id,
                                                        Decision.verdict == "refuse")) == "G-01"
