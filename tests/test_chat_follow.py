"""``duly chat`` shows what happens to a text it showed while it waited: a notice deferred
to the morning that the gate later refuses (an opt-out, a hold) is reported again with
its status and rule, instead of the chat leaving the customer's view at "[deferred]"."""

from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import update

from duly.chat import follow
from storage.models import Conversation, Decision, Message

T = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)
PHONE = "+15555550101"


def _wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_a_waiting_text_later_refused_is_reported_with_its_rule(session_factory, capsys):
    with session_factory() as s, s.begin():
        conv = Conversation(customer_phone=PHONE, our_number="+15555550100", state="start", slots={},
                            mode="bot", created_at=T, updated_at=T)
        s.add(conv)
        s.flush()
        msg = Message(conversation_id=conv.id, direction="outbound", from_number="+15555550100",
                      to_number=PHONE, body="Hi Ann, a reminder about your payment of $50.00.",
                      status="deferred", kind="reminder", sender="system", num_segments=1, num_media=0,
                      media=[], created_at=T, updated_at=T)
        s.add(msg)
        s.flush()
        mid, conv_id = msg.id, conv.id
    stop = threading.Event()
    seen: list[str] = []
    t = threading.Thread(target=follow, args=(session_factory, PHONE, stop, 0), daemon=True)
    t.start()
    try:
        assert _wait_for(lambda: "[deferred]" in (seen.append(capsys.readouterr().out) or "".join(seen)))
        with session_factory() as s, s.begin():
            s.execute(update(Message).where(Message.id == mid).values(status="refused"))
            s.add(Decision(conversation_id=conv_id, message_id=mid, rule="US-05", verdict="refuse",
                           actor="gate", created_at=T))
        assert _wait_for(lambda: "[refused US-05:" in (seen.append(capsys.readouterr().out) or "".join(seen)))
    finally:
        stop.set()
        t.join(5)
    out = "".join(seen)
    assert "duly> Hi Ann, a reminder about your payment of $50.00.  [deferred]" in out
    assert "duly> [refused US-05: Hi Ann, a reminder about your payment of $50.00.]" in out
    assert out.count("[refused") == 1
