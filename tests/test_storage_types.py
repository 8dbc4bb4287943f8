"""UTCDateTime and JSON columns behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from storage.models import Account, Conversation, Timer
from storage.types import UTC


def _account(**kw) -> Account:
    base = dict(account_ref="A-1", name="Ann", currency="USD", balance_minor=1000,
                past_due_minor=1000, timezone="America/New_York", profile="us_first_party")
    base.update(kw)
    return Account(**base)


def test_aware_in_aware_utc_out(session_factory):
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    when = dt.datetime(2026, 12, 4, 9, 30, 15, 123456, tzinfo=shanghai)
    with session_factory() as s:
        s.add(_account(consent_at=when))
        s.commit()
    with session_factory() as s:
        acc = s.scalars(select(Account)).one()
        assert acc.consent_at == when
        assert acc.consent_at.tzinfo == UTC
        assert acc.consent_at == dt.datetime(2026, 12, 4, 1, 30, 15, 123456, tzinfo=UTC)
        assert acc.created_at.tzinfo == UTC


def test_naive_refused(session_factory):
    with session_factory() as s:
        s.add(_account(consent_at=dt.datetime(2026, 12, 4, 9, 30)))
        with pytest.raises((ValueError, StatementError)) as info:
            s.commit()
        err = info.value
        assert isinstance(err, ValueError) or isinstance(err.orig, ValueError)
        assert "naive" in str(err)


def test_naive_refused_in_filters(session_factory):
    with session_factory() as s:
        with pytest.raises((ValueError, StatementError)):
            s.execute(select(Timer).where(Timer.due_at <= dt.datetime(2026, 1, 1))).all()


def test_comparisons_across_zones(session_factory):
    ny = zoneinfo.ZoneInfo("America/New_York")
    with session_factory() as s:
        s.add(Conversation(customer_phone="+15555550101", our_number="+15555550100"))
        s.flush()
        conv = s.scalars(select(Conversation)).one()
        base = dt.datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
        for minutes in (-30, 30):
            s.add(Timer(conversation_id=conv.id, name=f"t{minutes}",
                        due_at=base + dt.timedelta(minutes=minutes)))
        s.commit()
    with session_factory() as s:
        # 07:15 New York == 12:15 UTC: only the -30 timer is due.
        now = dt.datetime(2026, 12, 4, 7, 15, tzinfo=ny)
        due = s.scalars(select(Timer.name).where(Timer.fired_at.is_(None),
                                                 Timer.due_at <= now)).all()
        assert due == ["t-30"]


def test_json_roundtrip(session_factory):
    slots = {"pending": {"amount_minor": 5000, "date": "2026-12-04"}, "lang": "zh",
             "note": "下周五还", "offers": [1, 2, 3], "flag": None}
    with session_factory() as s:
        s.add(Conversation(customer_phone="+15555550101", our_number="+15555550100",
                           slots=slots))
        s.commit()
    with session_factory() as s:
        conv = s.scalars(select(Conversation)).one()
        assert conv.slots == slots
        assert conv.mode == "bot" and conv.state == "start" and conv.version == 1
