"""End-to-end conversations through uvicorn on SQLite and PostgreSQL.

Each test talks to a real server over HTTP with signed webhooks, then reads the
contract's JSON API (and the database) to check what was stored.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.models import Message
from tests.live import Duly, replies_in

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
ACME-2001,王芳,+86 138 0013 8000,2600.00,15,2600.00,300.00,CNY,Asia/Shanghai,zh,北风消费金融,cn
"""

DANA = "+15555550101"
FANG = "+8613800138000"


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        report = d.import_accounts(ACCOUNTS)
        assert report.errors == [] and report.created == 2
        yield d


def say(duly: Duly, text: str, frm: str = DANA) -> list[str]:
    r = duly.sms(text, frm=frm)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/xml")
    return replies_in(r.text)


def test_pay_sends_an_opaque_link_on_the_creditors_domain(duly):
    replies = say(duly, "pay")
    assert len(replies) == 1
    link = re.search(r"https://pay\.example\.com/p/(\S+)", replies[0])
    assert link, replies
    assert "4417" not in link.group(1) and "ACME" not in link.group(1)


def test_plan_instalments_add_up_exactly(duly):
    offer = say(duly, "can I do payments")
    assert offer and re.search(r"\b1\b", offer[0]) and re.search(r"\b2\b", offer[0])
    confirm = say(duly, "1")
    assert confirm
    done = say(duly, "yes")
    assert done
    plans = duly.conversation()["plans"]
    assert len(plans) == 1
    total = sum(Decimal(i["amount"]) for i in plans[0]["instalments"])
    assert total == Decimal("312.50")
    assert plans[0]["status"] == "active"


def test_promise_confirmed_and_recorded_for_friday_in_customers_zone(duly):
    confirm = say(duly, "I can pay $50 on friday")
    assert confirm and "50.00" in confirm[0]
    say(duly, "yes")
    promises = duly.conversation()["promises"]
    assert promises == [{"amount": "50.00", "currency": "USD", "due_date": "2026-12-04", "status": "pending"}]


def test_split_promise_becomes_one_promise(duly):
    ask = say(duly, "I can pay $50 on")
    assert ask  # asks for the date
    confirm = say(duly, "friday if that works")
    assert confirm and "50.00" in confirm[0]
    say(duly, "yes")
    promises = duly.conversation()["promises"]
    assert [(p["amount"], p["due_date"]) for p in promises] == [("50.00", "2026-12-04")]


def test_stop_in_a_sentence_opts_out_with_one_confirmation(duly):
    replies = say(duly, "please stop texting me")
    conv = duly.conversation()
    assert conv["opted_out"] is True
    assert len(replies) == 1  # US-08: exactly one confirmation
    assert "$" not in replies[0] and "http" not in replies[0]
    assert say(duly, "pay") == []          # US-05: nothing after opt-out
    assert say(duly, "STOP") == []         # a second STOP: no second confirmation
    conv = duly.conversation()
    refused = [m for m in conv["messages"] if m["direction"] == "outbound" and m["status"] == "refused"]
    sent = [m for m in conv["messages"] if m["direction"] == "outbound" and m["status"] != "refused"]
    assert len(sent) == 1 and sent[0]["kind"] == "optout_confirmation"
    assert all(m["kind"] != "optout_confirmation" or m["status"] == "refused" for m in refused)


def test_start_opts_back_in(duly):
    say(duly, "STOP")
    assert duly.conversation()["opted_out"] is True
    replies = say(duly, "START")
    assert duly.conversation()["opted_out"] is False
    assert len(replies) == 1
    assert say(duly, "pay")  # the bot answers again


def test_handoff_silences_the_bot(duly):
    notice = say(duly, "talk to a person")
    conv = duly.conversation()
    assert conv["mode"] == "agent"
    assert "handoff:agent_request" in conv["flags"]
    assert len(notice) <= 1
    assert say(duly, "pay") == []
    assert say(duly, "what is my balance") == []
    # opt-out still works while an agent owns the conversation
    say(duly, "STOP")
    assert duly.conversation()["opted_out"] is True


def test_dispute_holds_and_hands_off(duly):
    say(duly, "this isnt my debt")
    conv = duly.conversation()
    assert "dispute" in conv["flags"]
    assert conv["mode"] == "agent"
    assert any(f.startswith("handoff:") for f in conv["flags"])


def test_wrong_number_learns_nothing_about_the_debt(duly):
    replies = say(duly, "wrong number")
    conv = duly.conversation()
    assert "wrong_number" in conv["flags"]
    for body in replies:
        assert "Dana" not in body and "312" not in body and "1,250" not in body and "Northwind" not in body
    # and never again, whatever is asked
    for text in ("what's my balance", "pay", "plan"):
        for body in say(duly, text):
            assert "312" not in body and "1,250" not in body and "Dana" not in body


def test_unknown_sender_learns_nothing(duly):
    for text in ("hi", "whats my balance", "pay"):
        for body in say(duly, text, frm="+15555550199"):
            assert "312" not in body and "1,250" not in body and "Dana" not in body and "pay.example" not in body


def test_chinese_plan_request_answered_in_chinese(duly):
    replies = say(duly, "能分期吗", frm=FANG)
    assert replies and re.search(r"[\u4e00-\u9fff]", replies[0]), replies


def test_twelve_concurrent_messages_stored_once_and_answered_in_order(duly):
    texts = [f"hello {i}" for i in range(12)]
    sids = [f"SM{i:032x}" for i in range(12)]
    results: dict[int, int] = {}

    def send(i):
        results[i] = duly.sms(texts[i], sid=sids[i]).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(code == 200 for code in results.values()) and len(results) == 12
    with duly.services.sessions() as s:
        inbound = s.execute(select(Message.id, Message.provider_sid, Message.processed_at).where(
            Message.direction == "inbound").order_by(Message.id)).all()
        assert sorted(r.provider_sid for r in inbound) == sorted(sids)
        assert all(r.processed_at is not None for r in inbound)
        replies = s.execute(select(Message.id, Message.in_reply_to_id).where(
            Message.direction == "outbound").order_by(Message.id)).all()
    order = [r.in_reply_to_id for r in replies if r.in_reply_to_id is not None]
    # processed in arrival (storage) order: replies follow the inbound ids
    assert order == sorted(order)


def test_same_message_sid_concurrently_acts_once(duly):
    sid = "SM" + "d" * 32
    codes, bodies = [], []

    def send():
        r = duly.sms("pay", sid=sid)
        codes.append(r.status_code)
        bodies.append(replies_in(r.text))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 4
    assert sorted(len(b) for b in bodies) == [0, 0, 0, 1]  # answered once
    with duly.services.sessions() as s:
        n_in = s.scalars(select(Message.id).where(Message.provider_sid == sid)).all()
        n_out = s.scalars(select(Message.id).where(Message.in_reply_to_id == n_in[0])).all()
    assert len(n_in) == 1 and len(n_out) == 1


UK = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check
UK-9001,Olivia Hughes,+44 7700 900123,900.00,20,300.00,25.00,GBP,Europe/London,en,Northwind UK,uk,SW1A 1AA
"""
OLIVIA = "+447700900123"


def test_UK_06_no_balance_before_identity_is_confirmed(duly):
    assert duly.import_accounts(UK).errors == []
    first = say(duly, "whats my balance", frm=OLIVIA)
    assert first and all("300" not in b and "900" not in b for b in first)
    wrong = say(duly, "E1 6AN", frm=OLIVIA)
    assert all("300" not in b and "900" not in b for b in wrong)
    say(duly, "my postcode is sw1a 1aa", frm=OLIVIA)
    balance = say(duly, "whats my balance", frm=OLIVIA)
    assert any("£300.00" in b for b in balance), balance


def test_UK_06_wrong_answers_lock_and_hand_off(duly):
    assert duly.import_accounts(UK).errors == []
    say(duly, "hello", frm=OLIVIA)
    for guess in ("AB1 2CD", "EF3 4GH", "IJ5 6KL"):
        for b in say(duly, guess, frm=OLIVIA):
            assert "300" not in b and "900" not in b
    conv = duly.conversation(OLIVIA)
    assert conv["mode"] == "agent"
    assert any(f.startswith("handoff:") for f in conv["flags"])


def test_G_01_agent_hands_back_and_the_bot_answers_again(duly):
    say(duly, "talk to a person")
    assert say(duly, "pay") == []
    with duly.services.sessions() as s:
        from storage.models import Conversation
        conv_id = s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))
    assert duly.services.runner.agent_action(conv_id, "hand_back", "ann@example.com", {"state": "menu"}) == "bot"
    replies = say(duly, "pay")
    assert replies and "pay.example.com" in replies[0]


def test_keyword_reply_follows_the_account_language(duly):
    say(duly, "退订", frm=FANG)
    replies = say(duly, "START", frm=FANG)
    assert replies and re.search(r"[\u4e00-\u9fff]", replies[0]), replies


def test_US_05_opt_out_refuses_dunning_still_waiting_and_start_does_not_release_it(duly):
    from runner import outbound
    from storage.models import Consent, Conversation

    say(duly, "hi")
    with duly.services.sessions() as s, s.begin():  # US-10: the number gave consent
        s.add(Consent(phone=DANA, channel="sms", source="card application",
                      consented_at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)))
    duly.clock.now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)   # 22:00 New York
    with duly.services.sessions() as s, s.begin():
        conv = s.scalar(select(Conversation).where(Conversation.customer_phone == DANA))
        out = outbound.submit(s, conv, "Hi Dana, this is Northwind Card. $312.50 is past due. Reply STOP to opt out.",
                              kind="notice", sender="system", now=duly.clock(), transport="console",
                              approved=True, behaviour=duly.settings.behaviour)
    assert out.status == "deferred"
    say(duly, "STOP")
    say(duly, "START")
    with duly.services.sessions() as s:
        assert s.get(Message, out.message_id).status == "refused"


def test_US_17_cease_then_START_tells_the_truth_and_reaches_a_person(duly):
    # found by a new-user trial: "Reply START to resubscribe" after a cease, then "You're
    # subscribed to texts from us again" while the cease hold refused every later message
    say(duly, "hi")
    assert say(duly, "I'm not paying this, stop contacting me") == [
        "We've received your request. We will stop contacting you about this account."]
    assert say(duly, "START") == [
        "You can get texts from us again, but because of an earlier request we won't text you "
        "about your account until a member of our team has reviewed it."]
    assert say(duly, "what do I owe") == []          # US-17: the hold still stands
    conv = duly.conversation()
    assert conv["mode"] == "agent" and conv["opted_out"] is False
    assert "handoff:hold_review" in conv["flags"]
    from storage.models import Hold
    with duly.services.sessions() as s:
        assert [h.kind for h in s.scalars(select(Hold).where(Hold.cleared_at.is_(None)))] == ["cease"]


def test_UK_07_a_death_report_is_held_condoled_and_handed_to_a_person(duly):
    # before: "Sorry, I didn't understand. Reply PAY to pay $312.50 ..." (refused by the
    # gate only thanks to the vulnerability hold) and silence for the widow
    say(duly, "hi")
    got = say(duly, "he passed away last month")
    assert got == ["Thank you for letting us know, and we're very sorry for your loss. We've paused our "
                   "messages about this account, and a member of our team will be in touch with the "
                   "right person."]
    assert "312.50" not in got[0]
    assert say(duly, "what happens now?") == []
    conv = duly.conversation()
    assert conv["mode"] == "agent" and "handoff:deceased" in conv["flags"]
    from storage.models import Hold
    with duly.services.sessions() as s:
        kinds = {h.kind for h in s.scalars(select(Hold).where(Hold.cleared_at.is_(None)))}
    assert "deceased" in kinds


def test_UK_03_an_amount_instead_of_a_plan_choice_reaches_a_person(duly):
    # found by a new-user trial: "I can pay 5 a month" got the same plan list again
    offer = say(duly, "can I do payments")
    assert offer and "Payment plans for" in offer[0]
    got = say(duly, "none of those work, I can do 10 a month")
    assert got == ["Thanks for telling us you can pay $10.00. A member of our team will look at what "
                   "you can afford and get back to you."]
    conv = duly.conversation()
    assert conv["mode"] == "agent" and "handoff:counter_offer" in conv["flags"] and conv["plans"] == []
