"""Constraints and behaviours of storage.models on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from storage.db import lock_conversation
from storage.models import (Account, AppendOnlyError, Conversation, Decision, Flag,
                            Instalment, Message, Phone, Plan, ScriptRevision)
from storage.scripts import (NoPublishedScript, ensure_default_revision, publish,
                             published_revision)
from storage.types import UTC


def _conv(s, phone="+15555550101") -> Conversation:
    conv = Conversation(customer_phone=phone, our_number="+15555550100")
    s.add(conv)
    s.flush()
    return conv


def _msg(conv, sid, direction="inbound", status="received") -> Message:
    return Message(conversation_id=conv.id, direction=direction, provider_sid=sid,
                   from_number=conv.customer_phone, to_number=conv.our_number, body="hi",
                   status=status)


def _account(ref="A-1") -> Account:
    return Account(account_ref=ref, name="Ann", currency="USD", balance_minor=12345,
                   past_due_minor=5000, timezone="America/New_York",
                   profile="us_first_party", delinquent_since=dt.date(2026, 11, 1))


def test_provider_sid_unique(session_factory):
    with session_factory() as s:
        conv = _conv(s)
        s.add(_msg(conv, "SM" + "a" * 32))
        s.commit()
        s.add(_msg(conv, "SM" + "a" * 32))
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        # outbound rows without a SID yet: several NULLs are fine
        s.add_all([_msg(conv, None, "outbound", "pending") for _ in range(3)])
        s.commit()
        assert len(s.scalars(select(Message)).all()) == 4


def test_message_body_kept_exactly(session_factory):
    body = "  I can pay $50 on friday 😀\n下周五还  "
    with session_factory() as s:
        conv = _conv(s)
        m = _msg(conv, "SM1")
        m.body = body
        m.params = {"Body": body, "NumMedia": "1", "MediaUrl0": "https://x/y"}
        m.media = [{"url": "https://x/y", "content_type": "image/jpeg"}]
        s.add(m)
        s.commit()
    with session_factory() as s:
        m = s.scalars(select(Message)).one()
        assert m.body == body and m.params["Body"] == body
        assert m.media[0]["content_type"] == "image/jpeg" and m.processed_at is None


def test_decisions_are_append_only(session_factory):
    with session_factory() as s:
        d = Decision(rule="US-05", verdict="refuse", actor="gate", detail={"why": "opted out"})
        s.add(d)
        s.commit()
        d.verdict = "send"
        with pytest.raises(AppendOnlyError):
            s.commit()
        s.rollback()
        s.delete(s.get(Decision, d.id))
        with pytest.raises(AppendOnlyError):
            s.commit()
        s.rollback()
        assert s.get(Decision, d.id).verdict == "refuse"


def test_conversation_unique_per_pair_and_versioned(session_factory):
    with session_factory() as s:
        conv = _conv(s)
        s.commit()
        assert conv.version == 1
        conv.state = "menu"
        s.commit()
        assert conv.version == 2
        s.add(Conversation(customer_phone=conv.customer_phone, our_number=conv.our_number))
        with pytest.raises(IntegrityError):
            s.commit()


def test_stale_conversation_write_detected(session_factory):
    with session_factory() as s1:
        conv_id = _conv(s1).id
        s1.commit()
    with session_factory() as a, session_factory() as b:
        ca = a.get(Conversation, conv_id)
        a.commit()  # end a's read transaction (SQLite: release BEGIN IMMEDIATE)
        cb = b.get(Conversation, conv_id)
        cb.state = "menu"
        b.commit()
        ca.state = "plan_offer"
        with pytest.raises(StaleDataError):
            a.commit()


def test_lock_conversation_reloads(session_factory):
    with session_factory() as s:
        conv_id = _conv(s).id
        s.commit()
    with session_factory() as s:
        conv = s.get(Conversation, conv_id)
        s.commit()
        with session_factory() as other:
            other.get(Conversation, conv_id).state = "menu"
            other.commit()
        locked = lock_conversation(s, conv_id)
        assert locked is conv and locked.state == "menu"
        assert lock_conversation(s, 999999) is None
        s.commit()


def test_phone_links(session_factory):
    with session_factory() as s:
        a, b = _account("A-1"), _account("A-2")
        s.add_all([a, b])
        s.flush()
        s.add_all([Phone(e164="+15555550101", account_id=a.id),
                   Phone(e164="+15555550101", account_id=b.id),
                   Phone(e164="+15555550102", account_id=a.id)])
        s.commit()
        refs = s.scalars(select(Account.account_ref).join(Phone)
                         .where(Phone.e164 == "+15555550101")
                         .order_by(Account.account_ref)).all()
        assert refs == ["A-1", "A-2"]
        assert sorted(p.e164 for p in a.phones) == ["+15555550101", "+15555550102"]
        s.add(Phone(e164="+15555550101", account_id=a.id))
        with pytest.raises(IntegrityError):
            s.commit()


def test_foreign_keys_enforced(session_factory):
    with session_factory() as s:
        s.add(Phone(e164="+15555550101", account_id=424242))
        with pytest.raises(IntegrityError):
            s.commit()


def test_dpd_is_computed():
    acc = _account()
    assert acc.dpd(dt.date(2026, 11, 1)) == 0
    assert acc.dpd(dt.date(2026, 12, 1)) == 30
    acc.delinquent_since = None
    assert acc.dpd(dt.date(2026, 12, 1)) == 0


def test_flag_unique(session_factory):
    with session_factory() as s:
        conv = _conv(s)
        s.add(Flag(conversation_id=conv.id, name="dispute"))
        s.commit()
        s.add(Flag(conversation_id=conv.id, name="dispute"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_plan_with_instalments(session_factory):
    with session_factory() as s:
        acc = _account()
        s.add(acc)
        s.flush()
        plan = Plan(account_id=acc.id, kind="instalments", total_minor=10001, currency="USD",
                    instalments=[Instalment(seq=i + 1, due_date=due, amount_minor=amt)
                                 for i, (due, amt) in enumerate((
                                     (dt.date(2026, 12, 4), 3335),
                                     (dt.date(2027, 1, 4), 3333),
                                     (dt.date(2027, 2, 4), 3333)))])
        s.add(plan)
        s.commit()
    with session_factory() as s:
        plan = s.scalars(select(Plan)).one()
        assert plan.status == "active"
        assert [i.seq for i in plan.instalments] == [1, 2, 3]
        assert sum(i.amount_minor for i in plan.instalments) == plan.total_minor


def test_script_revisions(session_factory):
    with session_factory() as s:
        with pytest.raises(NoPublishedScript):
            published_revision(s, "default")
        r1 = ensure_default_revision(s, "default", "v1")
        again = ensure_default_revision(s, "default", "v1 changed")
        assert again.id == r1.id and r1.revision == 1
        assert r1.status == "published" and r1.approved_by == "system"
        assert r1.approved_at is not None and r1.published_at is not None
        s.commit()
        r2 = publish(s, "default", "v2", by="admin:ann@example.com")
        s.commit()
        assert r2.revision == 2 and published_revision(s, "default").id == r2.id
        assert s.get(ScriptRevision, r1.id).status == "retired"
        assert ensure_default_revision(s, "default", "v1").id == r2.id
        ensure_default_revision(s, "other", "x")
        s.commit()
        assert published_revision(s, "other").revision == 1
        assert published_revision(s, "default").body == "v2"
