"""Two texts from one customer whose store transactions commit out of id order: the
first INSERT takes id n and is slow to commit, the second takes n + 1 and commits first.
The drain acts by id, so without a guard it acts on n + 1 before n ("handled one at a
time, in order" broken; seen once in CI on PostgreSQL: tests/test_faults_scale.py's
twenty-text burst acted on 31 before 30). storage.db.order_arrivals makes a customer's id
order their commit order (PostgreSQL advisory lock; SQLite's single writer already does)."""

from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import event, select

from bot.types import InboundMessage
from storage.models import Message
from tests.live import Duly
from tests.regressions.support import ACCOUNTS

PHONE = "+15555550101"
OURS = "+15555550100"


def test_texts_whose_commits_cross_are_acted_on_in_id_order(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        assert d.sms("hi").status_code == 200
        runner = d.services.runner
        first, second = ("SM" + uuid.uuid4().hex for _ in range(2))
        inserted, release = threading.Event(), threading.Event()

        def hold_first_commit(session, flush_context):
            # the first text's INSERT has its id; hold its transaction open before the commit
            # (after_flush still lists the flushed rows as new)
            if not inserted.is_set() and any(isinstance(o, Message) and o.provider_sid == first
                                             for o in session.new):
                inserted.set()
                release.wait(10)

        event.listen(runner.sessions, "after_flush", hold_first_commit)
        try:
            a = threading.Thread(target=runner.receive, args=(InboundMessage(first, PHONE, OURS, "balance"),))
            a.start()
            assert inserted.wait(10), "the first text was never stored"
            b = threading.Thread(target=runner.receive, args=(InboundMessage(second, PHONE, OURS, "menu"),))
            b.start()
            time.sleep(0.5)          # room for the second text to overtake, were it not held
            release.set()
            a.join(30)
            b.join(30)
            assert not a.is_alive() and not b.is_alive()
        finally:
            release.set()
            event.remove(runner.sessions, "after_flush", hold_first_commit)
        with d.services.sessions() as s:
            rows = {m.provider_sid: m for m in s.scalars(select(Message).where(
                Message.provider_sid.in_([first, second])))}
            one, two = rows[first], rows[second]
            # the clock is fixed here: the replies' ids tell the order the texts were acted on
            replies = list(s.scalars(select(Message.in_reply_to_id).where(
                Message.in_reply_to_id.in_([one.id, two.id])).order_by(Message.id)))
        assert one.id < two.id and one.processed_at is not None and two.processed_at is not None
        assert replies and sorted(set(replies)) == [one.id, two.id]
        assert replies == sorted(replies), f"acted on {two.id} before {one.id}: replies to {replies}"
