"""Retention: keep records at least the legal period, purge only what is past it.

Period (:func:`retention_years`): the largest of ``[retention] years`` in config and
every profile's legal minimum — a profile's own ``retention_years``, else by
jurisdiction: US 3 years after the last activity on the debt (US-24, 12 CFR 1006.100),
CN 2 years (CN-06, card rules Art. 68). A config value below the legal minimum is
ignored (the minimum wins). The cutoff is ``now`` minus that many calendar years.

"Past the period" is decided per debt, never per row: a conversation is purgeable only
when nothing about it *and* about every account on its phone happened since the cutoff
— no message, no conversation change, no account change (imports), promise, plan,
payment (posted, dated or reversed), hold (set or cleared), or account-linked message.

What ``duly purge`` does to purgeable data
------------------------------------------
* **messages**: their content is erased (``body`` → ``""``, ``params``/``entities`` →
  ``NULL``, ``media`` → ``[]``). The row stays — direction, status, kind, times, provider
  SID — because the append-only decision log points at it (G-03).
* **timers** of purgeable conversations: deleted.
* **payment links** that expired before the cutoff: deleted.
* **events** delivered before the cutoff whose account is purgeable (or that have no
  account): deleted (the lender has them).

What is kept, always
--------------------
* **decisions** — the append-only audit log (rule IDs, verdicts; the ORM refuses
  deletes, see ``storage.models.AppendOnlyError``); the compliance record itself.
* **opt-outs**, **holds**, **consents**, **quarantined phones** — they must keep being
  honoured after any period (US-05, US-12, US-17).
* **accounts, phones, promises, plans, instalments, payments** — the ledger belongs to
  the lender; conversation rows (the skeleton the decision log references).
* anything undelivered (events not yet delivered are never purged).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from sqlalchemy import delete, exists, func, null, or_, select, update

from storage.models import (Account, Conversation, Event, Hold, Message, Payment, PaymentLink, Phone,
                            Plan, Promise, Timer)

__all__ = ["LEGAL_MINIMUM_YEARS", "retention_years", "cutoff", "purge"]

#: Legal minimum per jurisdiction (years after the last activity on the debt).
LEGAL_MINIMUM_YEARS: dict[str, int] = {"US": 3, "CN": 2}


def retention_years(behaviour: Mapping[str, Any]) -> int:
    """The retention period in whole years (see the module docstring)."""
    years = int((behaviour.get("retention") or {}).get("years", 3))
    for prof in (behaviour.get("profiles") or {}).values():
        if not isinstance(prof, Mapping):
            continue
        own = prof.get("retention_years")
        minimum = int(own) if own is not None else LEGAL_MINIMUM_YEARS.get(
            str(prof.get("jurisdiction", "")).upper(), 0)
        years = max(years, minimum)
    return years


def cutoff(now: dt.datetime, years: int) -> dt.datetime:
    """``now`` minus ``years`` calendar years (29 Feb → 28 Feb)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _recent_account(cut: dt.datetime) -> Any:
    """SQL condition: the account (``Account``) had activity at or after ``cut``."""
    a = Account.id
    return or_(
        Account.updated_at >= cut,
        exists().where(Promise.account_id == a, or_(Promise.updated_at >= cut, Promise.created_at >= cut)),
        exists().where(Plan.account_id == a, or_(Plan.updated_at >= cut, Plan.created_at >= cut)),
        exists().where(Payment.account_id == a, or_(Payment.created_at >= cut, Payment.paid_at >= cut,
                                                    Payment.reversed_at >= cut)),
        exists().where(Hold.account_id == a, or_(Hold.created_at >= cut, Hold.cleared_at >= cut)),
        exists().where(Message.account_id == a, Message.created_at >= cut),
    )


def _purgeable_conversations(cut: dt.datetime) -> Any:
    """SELECT of the ids of conversations past the period."""
    recent_accounts = select(Account.id).where(_recent_account(cut))
    recent_phones = select(Phone.e164).where(Phone.account_id.in_(recent_accounts))
    return select(Conversation.id).where(
        Conversation.updated_at < cut,
        ~exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cut),
        Conversation.customer_phone.not_in(recent_phones),
        or_(Conversation.account_id.is_(None), Conversation.account_id.not_in(recent_accounts)))


def purge(sessions: Any, settings: Any, now: dt.datetime, dry_run: bool = False) -> dict[str, Any]:
    """Purge what is past the retention period as of ``now`` (aware UTC); one transaction.

    Returns ``{"years", "cutoff" (ISO), "messages_redacted", "timers_deleted",
    "payment_links_deleted", "events_deleted", "dry_run"}``; with ``dry_run`` the counts
    are what would be purged and nothing changes.
    """
    behaviour = getattr(settings, "behaviour", settings) or {}
    years = retention_years(behaviour)
    cut = cutoff(now, years)
    convs = _purgeable_conversations(cut)
    msg_where = (Message.conversation_id.in_(convs), Message.created_at < cut,
                 or_(Message.body != "", Message.params.is_not(None), Message.entities.is_not(None)))
    timer_where = (Timer.conversation_id.in_(convs),)
    link_where = (PaymentLink.expires_at < cut,)
    recent_accounts = select(Account.id).where(_recent_account(cut))
    event_where = (Event.delivered_at.is_not(None), Event.created_at < cut,
                   or_(Event.account_id.is_(None), Event.account_id.not_in(recent_accounts)))
    out: dict[str, Any] = {"years": years, "cutoff": cut.isoformat(), "dry_run": dry_run}
    with sessions() as s, s.begin():
        count = lambda model, where: s.scalar(select(func.count()).select_from(model).where(*where)) or 0  # noqa: E731
        if dry_run:
            out["messages_redacted"] = count(Message, msg_where)
            out["timers_deleted"] = count(Timer, timer_where)
            out["payment_links_deleted"] = count(PaymentLink, link_where)
            out["events_deleted"] = count(Event, event_where)
            return out
        out["messages_redacted"] = s.execute(
            update(Message).where(*msg_where).values(body="", params=null(), entities=null(), media=[])
            .execution_options(synchronize_session=False)).rowcount or 0
        out["timers_deleted"] = s.execute(delete(Timer).where(*timer_where)
                                          .execution_options(synchronize_session=False)).rowcount or 0
        out["payment_links_deleted"] = s.execute(delete(PaymentLink).where(*link_where)
                                                 .execution_options(synchronize_session=False)).rowcount or 0
        out["events_deleted"] = s.execute(delete(Event).where(*event_where)
                                          .execution_options(synchronize_session=False)).rowcount or 0
    return out


def run_cli(settings: Any, *, dry_run: bool = False, now_text: str | None = None) -> int:
    """``duly purge [--dry-run] [--now ISO]``: purge and print the counts. Exit 0; 2 on a
    bad ``--now``."""
    import sys

    from storage import db

    if now_text:
        try:
            now = dt.datetime.fromisoformat(now_text.replace("Z", "+00:00"))
        except ValueError:
            print(f"duly purge: --now is not an ISO date-time: {now_text!r}", file=sys.stderr)
            return 2
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        now = now.astimezone(dt.timezone.utc)
    else:
        now = dt.datetime.now(dt.timezone.utc)
    engine = db.make_engine(settings.database_url)
    try:
        out = purge(db.make_sessionmaker(engine), settings, now, dry_run=dry_run)
    finally:
        engine.dispose()
    verb = "would purge" if dry_run else "purged"
    print(f"retention: {out['years']} years after the last activity on the debt "
          f"(US-24, CN-06); cutoff {out['cutoff']}")
    print(f"{verb}: messages_redacted={out['messages_redacted']} timers_deleted={out['timers_deleted']} "
          f"payment_links_deleted={out['payment_links_deleted']} events_deleted={out['events_deleted']}")
    print("kept: decisions (append-only), opt-outs, holds, consents, accounts, phones, promises, "
          "plans, payments, conversation and message metadata")
    return 0
