"""runner.retention: records are kept for the longest profile's period (US-24, CN-06);
``duly purge`` removes only what is past it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from duly.config import load_settings
from runner.retention import cutoff, purge, retention_years
from storage.models import Account, Conversation, Decision, Event, Message, OptOut
from tests.live import Duly

UTC = dt.timezone.utc
ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,creditor,consent_source,profile,language
US-1,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,USD,America/New_York,Northwind Card,application,us_first_party,en
CN-1,王芳,+86 138 0013 8000,2600.00,15,2600.00,CNY,Asia/Shanghai,北风消费金融,application,cn,zh
"""
DANA, FANG = "+15555550101", "+8613800138000"


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        d.sms("what is my balance", frm=DANA)
        d.sms("STOP", frm=DANA)
        d.sms("你好", frm=FANG)
        yield d


def age(duly, phone: str, when: dt.datetime) -> None:
    """Pretend everything about ``phone`` and its accounts last happened at ``when``."""
    with duly.services.sessions() as s, s.begin():
        conv = s.scalar(select(Conversation).where(Conversation.customer_phone == phone))
        s.execute(update(Message).where(Message.conversation_id == conv.id)
                  .values(created_at=when, updated_at=when))
        s.execute(update(Conversation).where(Conversation.id == conv.id)
                  .values(updated_at=when, version=Conversation.version + 1))
        ref = "US-1" if phone == DANA else "CN-1"
        s.execute(update(Account).where(Account.account_ref == ref).values(updated_at=when))
        s.execute(update(Event).values(created_at=when, delivered_at=when))


def bodies(duly, phone):
    with duly.services.sessions() as s:
        conv = s.scalar(select(Conversation).where(Conversation.customer_phone == phone))
        return [m.body for m in s.scalars(select(Message).where(Message.conversation_id == conv.id))]


NOW = dt.datetime(2029, 6, 1, 12, tzinfo=UTC)  # cutoff 2026-06-01: the fixture's own data is recent


def test_retention_years_is_the_longest_profile_and_never_below_the_law():
    b = load_settings(env={}).behaviour
    assert retention_years(b) == 3
    assert retention_years({"retention": {"years": 1}, "profiles": {"x": {"jurisdiction": "CN"}}}) == 2
    assert retention_years({"retention": {"years": 1}, "profiles": {"x": {"jurisdiction": "US"},
                                                                     "y": {"jurisdiction": "CN"}}}) == 3
    assert retention_years({"retention": {"years": 5}, "profiles": {}}) == 5
    assert cutoff(dt.datetime(2028, 2, 29, tzinfo=UTC), 3) == dt.datetime(2025, 2, 28, tzinfo=UTC)


def test_US_24_purge_refused_two_years_after_last_activity(duly):
    age(duly, DANA, NOW - dt.timedelta(days=730))
    before = bodies(duly, DANA)
    out = purge(duly.services.sessions, duly.settings, NOW)
    assert out["messages_redacted"] == 0
    assert bodies(duly, DANA) == before and any(before)


def test_CN_06_china_account_kept_two_and_a_half_years_after(duly):
    age(duly, FANG, NOW - dt.timedelta(days=913))
    purge(duly.services.sessions, duly.settings, NOW)
    assert all(b != "" for b in bodies(duly, FANG))


def test_purge_after_the_period_redacts_messages_and_keeps_the_audit_log(duly):
    age(duly, DANA, NOW - dt.timedelta(days=3 * 365 + 10))
    with duly.services.sessions() as s:
        decisions = s.scalar(select(Decision.id).order_by(Decision.id.desc()).limit(1))
        n_msgs = len(s.scalars(select(Message.id)).all())
    dry = purge(duly.services.sessions, duly.settings, NOW, dry_run=True)
    assert dry["messages_redacted"] == len(bodies(duly, DANA)) > 0
    assert all(bodies(duly, DANA))  # dry run changed nothing
    out = purge(duly.services.sessions, duly.settings, NOW)
    assert out["messages_redacted"] == dry["messages_redacted"]
    assert all(b == "" for b in bodies(duly, DANA))
    assert all(b != "" for b in bodies(duly, FANG))   # the Chinese account is recent: kept
    with duly.services.sessions() as s:
        assert s.scalar(select(Decision.id).order_by(Decision.id.desc()).limit(1)) == decisions
        assert len(s.scalars(select(Message.id)).all()) == n_msgs          # rows kept, content gone
        assert s.scalar(select(OptOut.id).where(OptOut.phone == DANA)) is not None  # opt-out kept
    assert purge(duly.services.sessions, duly.settings, NOW)["messages_redacted"] == 0


def test_recent_activity_on_the_debt_keeps_old_messages(duly):
    age(duly, DANA, NOW - dt.timedelta(days=5 * 365))
    with duly.services.sessions() as s, s.begin():  # a re-import last year
        s.execute(update(Account).where(Account.account_ref == "US-1")
                  .values(updated_at=NOW - dt.timedelta(days=365)))
    assert purge(duly.services.sessions, duly.settings, NOW)["messages_redacted"] == 0


def test_duly_purge_cli_prints_counts(duly, capsys, monkeypatch):
    from duly import cli

    monkeypatch.setenv("DATABASE_URL", duly.settings.database_url)
    age(duly, DANA, NOW - dt.timedelta(days=4 * 365))
    assert cli.main(["purge", "--dry-run", "--now", NOW.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "would purge" in out and "messages_redacted=" in out and "3 years" in out
    assert all(bodies(duly, DANA))
    assert cli.main(["purge", "--now", NOW.isoformat()]) == 0
    assert "purged" in capsys.readouterr().out
    assert all(b == "" for b in bodies(duly, DANA))
