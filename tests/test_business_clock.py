"""The ORM's own ``updated_at`` stamps follow the unit of work's clock
(storage.types.business_clock): a row a runner or worker changes without setting
``updated_at`` — or setting it to the value it already had, which the ORM does not count
as a change — is stamped with business time, not the wall clock. Found when the wall
clock passed the tests' business clock: a killed worker's ``sending`` row carried the wall
clock and the stale sweep (business time) never settled it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Conversation
from storage.types import business_clock, utcnow

T = dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.timezone.utc)   # far from the wall clock


def test_utcnow_reads_the_business_clock_inside_the_block_only():
    with business_clock(lambda: T):
        assert utcnow() == T
        with business_clock(lambda: T + dt.timedelta(hours=1)):
            assert utcnow() == T + dt.timedelta(hours=1)
        assert utcnow() == T
    assert abs((utcnow() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60


def test_onupdate_stamps_business_time(session):
    conv = Conversation(customer_phone="+15555550101", our_number="+15555550100", state="start", slots={},
                        mode="bot", created_at=T, updated_at=T)
    session.add(conv)
    session.flush()
    later = T + dt.timedelta(minutes=5)
    with business_clock(lambda: later):
        conv.state = "menu"
        conv.updated_at = T                    # the same value: no change to the ORM
        session.flush()
    session.expire_all()
    assert session.scalar(select(Conversation.updated_at).where(Conversation.id == conv.id)) == later
