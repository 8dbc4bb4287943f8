"""Concurrent read-then-write transactions never fail and never lose an update.

SQLite: every transaction begins with BEGIN IMMEDIATE, so two writers never both
hold a read snapshot and then race for the write lock ("database is locked").
PostgreSQL: lock_conversation's SELECT ... FOR UPDATE serialises them.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from storage.db import lock_conversation, make_engine, make_sessionmaker
from storage.models import Conversation, Message

ROUNDS = 50


def test_concurrent_read_then_write(engine, db_url):
    factory = make_sessionmaker(engine)
    with factory() as s:
        conv = Conversation(customer_phone="+15555550101", our_number="+15555550100",
                            slots={"n": 0})
        s.add(conv)
        s.commit()
        conv_id = conv.id

    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(tag: str) -> None:
        # Each thread has its own engine, like two processes (web and worker).
        eng = make_engine(db_url)
        sessions = make_sessionmaker(eng)
        try:
            start.wait()
            for i in range(ROUNDS):
                with sessions() as s:
                    # read ...
                    seen = s.scalar(select(func.count(Message.id))
                                    .where(Message.conversation_id == conv_id))
                    c = lock_conversation(s, conv_id)
                    n = c.slots["n"]
                    # ... then write
                    c.slots = {"n": n + 1}
                    s.add(Message(conversation_id=conv_id, direction="inbound",
                                  provider_sid=f"SM{tag}{i}", from_number="+15555550101",
                                  to_number="+15555550100", body=str(seen),
                                  status="received"))
                    s.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=worker, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors, repr(errors[0])
    with factory() as s:
        conv = s.get(Conversation, conv_id)
        assert conv.slots == {"n": 2 * ROUNDS}
        assert conv.version == 2 * ROUNDS + 1
        assert s.scalar(select(func.count(Message.id))) == 2 * ROUNDS
