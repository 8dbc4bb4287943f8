"""Attack 1207e: the worker's clock vs the business clock, zones from the address, holds
and the bot's replies, the agent's deferred texts, payments reversed, status callbacks,
right-party checks and the loan-system API. Each test names the harm and the COMPLIANCE
rule and is marked ``xfail(strict=True)`` until its fix lands (remove the mark with the
fix). Findings by harm (numbers as in the tests):

 10  US-16  under a dispute hold (API or the customer's own SMS; also vulnerability UK-07 and
            paid_already holds after a hand-back) the bot still dunns, sends
            pay links, offers plans and takes promises
  1  US-01  a paced worker pass decides every claim at the pass's start: texts leave
            after 21:00 on a 20:59 verdict
  6  UK-06  one identity answer tests up to 24 fragments: 17 guessed postcodes disclose
  13 UK-06  reminders of an agent-recorded promise disclose to a phone never verified
  2  US-02  a mailing address abroad (country) is never a candidate zone
  7  US-02  the address on the phone's other account is not a candidate zone
  8  US-01  a reply held by a sender pause (30034) goes a day later, exempt from hours
  11 US-05  an agent's deferred text survives STOP (released by START) and a promise (G-02)
  5  G-02   a reversed payment reopens a promise another payment covers: false
            "we haven't seen your payment"
  4  US-01  agent texts within 240 min of the customer's message skip quiet hours
  3  CN-01  the CN window ends at the 22:00 legal stop, not the 21:00 product default
  9  G-02   one 30003 'undelivered' silences a number for good, even after she texts
  12 API    NUL bytes / an out-of-range paid_at answer 500 (a poison request)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Account, Consent, Conversation, Decision, Message, Phone

UTC = dt.timezone.utc


# --- finding 1: a worker pass decides every row at the pass's start --------------------

class _FakeTime:
    """The worker's monotonic clock and sleep, tied to the business clock: sleeping
    moves both (a paced pass takes the time it takes)."""

    def __init__(self, clock: Any):
        self.clock = clock
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.t += seconds
            self.clock.advance(seconds=seconds)


class _Twilio:
    """A paced ("rest") transport that records the business time each send left at."""

    name = "rest"

    def __init__(self, clock: Any):
        self.clock = clock
        self.sent: list[tuple[dt.datetime, str, int | None]] = []

    def sender(self, from_: str | None = None) -> str:
        return from_ or ""

    def send(self, *, to: str, from_: str, body: str, status_callback: Any = None,
             validity_period: int | None = None) -> Any:
        from runner.transports import SendResult

        self.sent.append((self.clock(), to, validity_period))
        return SendResult("sent", sid=f"SM{len(self.sent):032d}")


def test_US_01_a_paced_pass_that_runs_past_21_00_sends_nothing_after_21_00(db_url):
    """HARM: collection texts handed to Twilio after 21:00 in the customer's zone.
    US-01 (12 CFR 1006.6(b)(1)(i): the time that counts is when the message is *sent*;
    the gate "runs at dispatch").

    Eighty New York customers each have a cadence notice deferred to the evening (all
    approved, consent on file, nothing else in the way). One ``duly worker`` pass starts
    at 20:59:00 EST and sends them paced at the configured 1 message/second per sender.
    ``Worker.run_once`` takes ``now`` once and every later claim of the same pass
    (``_send_due`` → ``_timed_claim``/``_prefetch(now, …)``) asks the gate with that
    20:59:00, so rows claimed at 21:00:10 pass US-01 as if it were 20:59; the last look
    before the transport (``_last_look``) re-runs the gate only on an opt-out/hold/hand-off
    change, never on the hour. The ValidityPeriod is computed from the same stale ``now``
    (Twilio counts it from when it receives the request), so it does not stop them either.
    Expected: nothing handed to the transport at or after 21:00:00 New York time."""
    from runner.worker import Worker
    from storage import db as storage_db
    from tests.live import OUR_NUMBER, Clock, settings_for

    start = dt.datetime(2026, 12, 2, 1, 59, 0, tzinfo=UTC)     # Tue 1 Dec 20:59:00 EST
    engine = storage_db.make_engine(db_url)
    storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    try:
        queued = start - dt.timedelta(hours=3)
        with sessions() as s, s.begin():
            for i in range(80):
                phone = f"+1212555{i:04d}"
                a = Account(account_ref=f"NY-{i}", name="Pat Doe", currency="USD", balance_minor=50000,
                            past_due_minor=10000, minimum_due_minor=2500,
                            delinquent_since=dt.date(2026, 11, 24), timezone="America/New_York",
                            state="NY", country="US", profile="us_first_party", language="en",
                            created_at=queued, updated_at=queued)
                s.add(a)
                s.flush()
                s.add(Phone(e164=phone, account_id=a.id, created_at=queued))
                s.add(Consent(phone=phone, account_id=a.id, channel="sms", source="card application",
                              consented_at=dt.datetime(2024, 1, 1, tzinfo=UTC)))
                c = Conversation(customer_phone=phone, our_number=OUR_NUMBER, state="start", slots={},
                                 mode="bot", account_id=a.id, created_at=queued, updated_at=queued)
                s.add(c)
                s.flush()
                m = Message(conversation_id=c.id, direction="outbound", from_number=OUR_NUMBER, to_number=phone,
                            body="Hi Pat, your Northwind Card payment of $100.00 is past due. "
                                 "Pay or reply PLAN for options. Reply STOP to opt out.",
                            status="deferred", kind="notice", sender="system", transport="rest",
                            not_before=start - dt.timedelta(minutes=1), media=[], num_media=0,
                            account_id=a.id, attempts=0, created_at=queued, updated_at=queued)
                s.add(m)
                s.flush()
                s.add(Decision(conversation_id=c.id, message_id=m.id, account_id=a.id, rule="gate:pass",
                               verdict="defer", actor="gate", created_at=queued,
                               detail={"approved": True, "stage": "submit", "template": "dpd7"}))
        clock = Clock(start)
        fake = _FakeTime(clock)
        twilio = _Twilio(clock)
        worker = Worker(settings_for(db_url), sessions, twilio, clock, None,
                        monotonic=fake.monotonic, sleep=fake.sleep)
        worker.run_once()
        nine_pm = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        late = [(t.astimezone(dt.timezone(dt.timedelta(hours=-5))).strftime("%H:%M:%S"), v)
                for t, _, v in twilio.sent if t >= nine_pm]
        assert twilio.sent, "nothing was sent at all"
        assert late == [], f"{len(late)} of {len(twilio.sent)} texts left at or after 21:00 EST: {late[:3]}…"
    finally:
        engine.dispose()


# --- finding 2: an address abroad is not a candidate zone ---------------------------------

MOVED = """account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,state,postal_code,country,creditor,profile,consent_source,consent_at
MOV-1,Jo Marsh,+1 212 555 0147,480.00,35,160.00,USD,2026-12-10,,SW1A 1AA,GB,Northwind Card Services,us_first_party,card application,2024-06-11T12:00:00Z
"""


def test_US_02_customer_who_moved_abroad_is_not_texted_at_night_where_she_lives(db_url):
    """HARM: a collection text at 01:30 at the customer's home. US-02 ("build the set of
    candidate zones from area code, mailing address, last-known address …; allowed
    window = intersection"), US-01.

    Jo kept her New York mobile (+1 212) but the loan system has her address in London
    (``country`` GB, ``postal_code`` SW1A 1AA; no ``timezone`` column, as the CSV allows:
    "else inferred from the phone number and the address"). The import infers
    America/New_York from the phone alone (``storage.accounts.infer_timezone`` looks at
    the address only for a US state), and the gate's candidate zones
    (``runner.outbound.resolve``) add an address zone only from ``US_STATE_ZONES`` —
    ``country`` is never read. So a cadence step cleared at 20:30 New York time goes at
    01:30 in London. Expected: the step waits until it is 08:00–21:00 in London *and*
    New York (13:00–16:00 EST)."""
    from tests.live import Clock, Duly
    from tests.test_cycle_e2e import duly_cli

    at = dt.datetime(2026, 12, 2, 1, 30, tzinfo=UTC)     # Tue 20:30 EST = Wed 01:30 GMT
    with Duly(db_url, clock=Clock(at)) as d:
        assert d.import_accounts(MOVED, today=dt.date(2026, 12, 1)).errors == []
        r = duly_cli(db_url, "worker", "--once", "--now", at.isoformat())
        assert r.returncode == 0, r.stdout + r.stderr
        with d.services.sessions() as s:
            rows = s.scalars(select(Message).where(Message.to_number == "+12125550147",
                                                   Message.direction == "outbound")).all()
            assert rows, "the cadence queued nothing (test setup)"
            went = [(m.kind, m.status) for m in rows if m.status not in ("deferred", "refused")]
        assert went == [], f"sent at 01:30 in London: {went}"



# --- finding 3: the CN profile's window is the legal stop, not the product default -------

CN = """account_ref,name,phone,balance,days_past_due,past_due,currency,timezone,language,creditor,profile,consent_source,consent_at
CN-7,王芳,+86 138 0013 8000,5200.00,8,1300.00,CNY,Asia/Shanghai,zh,北风银行,cn,信用卡申请,2024-06-11T12:00:00Z
"""


def test_CN_01_a_cadence_text_at_21_30_beijing_waits_for_08_00(db_url):
    """HARM: collection texts to Chinese customers between 21:00 and 22:00 Beijing time,
    with no margin before the 22:00 legal stop (and, with finding 1, past it). CN-01:
    "Product default **08:00–21:00** (margin …). Hard legal stop at 22:00." Its test row:
    "Dispatch at 21:30 → deferred (product default)".

    The shipped ``config.toml`` sets ``[profiles.cn] allowed_hours = ["08:00", "22:00"]``
    (commented "CN-01"), and ``tests/test_hours.py::test_CN_01_2200_deferred_to_next_0800``
    asserts 21:30 is allowed. A CN account 8 days past due, consent on file: one worker
    pass at 21:30 Beijing sends its cadence step at once. Expected: deferred to 08:00."""
    from tests.live import Clock, Duly
    from tests.test_cycle_e2e import duly_cli

    at = dt.datetime(2026, 12, 1, 13, 30, tzinfo=UTC)     # Tue 21:30 Beijing
    with Duly(db_url, clock=Clock(at)) as d:
        assert d.import_accounts(CN, today=dt.date(2026, 12, 1)).errors == []
        r = duly_cli(db_url, "worker", "--once", "--now", at.isoformat())
        assert r.returncode == 0, r.stdout + r.stderr
        with d.services.sessions() as s:
            rows = s.scalars(select(Message).where(Message.to_number == "+8613800138000",
                                                   Message.direction == "outbound")).all()
            assert rows, "the cadence queued nothing (test setup)"
            went = [(m.kind, m.status) for m in rows if m.status not in ("deferred", "refused")]
        assert went == [], f"sent at 21:30 Beijing: {went}"


# --- finding 4: an agent's text hours after the customer's message counts as a reply ------

def test_US_01_agent_text_at_23_30_is_not_the_answer_to_a_20_40_message(db_url):
    """HARM: an agent texts a debtor at 23:30 local time. US-01, and COMPLIANCE's ruling
    on replies: "a collector may answer a consumer-initiated communication **once, at
    that time**" (12 CFR 1006.6(b)(1) comment 6(b)(1)-2).

    Dana texts "I want to talk to a person" at 20:40 New York time; the bot answers at
    once (the one answer at that time). An agent takes the conversation over and, at
    23:30 — 2 h 50 min later — sends "Hi Dana, following up…". ``AgentDesk._reply_target``
    treats any agent text within ``[agent] reply_window_minutes`` (240) of her last
    message as a reply (``in_reply_to`` set): no quiet hours, no cap, however many such
    texts. Expected: the 23:30 text is deferred to 08:00 (US-01)."""
    from tests.live import Clock, Duly, add_user, console_login
    from tests.test_console_http import ACCOUNTS, handoff

    clock = Clock(dt.datetime(2026, 12, 1, 1, 40, tzinfo=UTC))   # Mon 30 Nov 20:40 EST
    with Duly(db_url, clock=clock) as d:
        consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
            "us_first_party\n", "us_first_party,application form 2026-01-04\n")
        assert d.import_accounts(consented, today=dt.date(2026, 11, 30)).errors == []
        add_user(d, "agent@x.test")
        cid = handoff(d)                                          # answered at 20:40
        c, csrf = console_login(d, "agent@x.test")
        c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
        clock.advance(hours=2, minutes=50)                        # 23:30 EST
        body = "Hi Dana, following up on your call request. Reply STOP to opt out."
        c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": body})
        with d.services.sessions() as s:
            m = s.scalar(select(Message).where(Message.sender == "agent:agent@x.test"))
            got = (m.status, m.in_reply_to_id is not None)
        assert got[0] == "deferred", f"the agent's 23:30 text: status {got[0]}, treated as a reply: {got[1]}"


# --- finding 5: a reversal reopens a promise that another payment covers ------------------

def test_G_02_a_reversed_payment_does_not_break_a_promise_another_payment_kept(db_url):
    """HARM: the customer is told "We haven't seen your payment of $100.00 planned for Fri
    Dec 4" although she paid it, and the lender gets ``promise.broken``. G-02 ("amount and
    date exactly as agreed, taken from the ledger"; "kept/broken comes from the ledger"),
    US-21 (no false claim about the debt's status).

    Dana promises $100 on Friday Dec 4. The loan system posts two $100 payments (A, C)
    the same day; A keeps the promise. A is returned (``POST /api/payments/reverse``):
    ``runner.payments.reverse_payment`` sets every promise whose ``payment_id`` is A back
    to ``pending`` and stops — it never asks whether the payments that remain (C, dated
    after the promise was made) still cover it, as ``_settle`` would. After Dec 4 the
    sweep marks it broken and the worker sends the broken-promise follow-up. Expected:
    the promise stays kept (by C) and no follow-up goes."""
    from tests.live import API_TOKEN, Duly, replies_in
    from tests.test_console_http import ACCOUNTS
    from tests.test_cycle_e2e import duly_cli
    from storage.models import Promise

    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
        "us_first_party\n", "us_first_party,application form 2026-01-04\n")
    with Duly(db_url) as d:                                      # Mon 30 Nov 10:00 New York
        assert d.import_accounts(consented).errors == []
        d.sms("hi")
        assert "Fri Dec 4" in replies_in(d.sms("I can pay 100 on friday").text)[0]
        assert replies_in(d.sms("yes").text)[0].startswith("Confirmed: $100.00 on Fri Dec 4")
        for ref in ("PAY-A", "PAY-C"):
            r = d.http.post("/api/payments", json={"account_ref": "ACME-4417", "amount": "100.00",
                                                   "payment_ref": ref}, headers=auth)
            assert r.status_code == 200, r.text
        r = d.http.post("/api/payments/reverse", json={"payment_ref": "PAY-A", "reason": "returned"}, headers=auth)
        assert r.status_code == 200, r.text
        for day in ("2026-12-05T15:00:00Z", "2026-12-07T15:00:00Z"):
            w = duly_cli(db_url, "worker", "--once", "--now", day)
            assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            status = s.scalar(select(Promise.status))
            followups = s.scalars(select(Message.body).where(Message.kind == "followup",
                                                             Message.status != "refused")).all()
        assert (status, followups) == ("kept", []), (status, followups)


# --- finding 6: one identity answer tests many guesses -----------------------------------

UK = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check
UK-1,Olivia Hart,+447700900123,900.00,20,300.00,30.00,GBP,Europe/London,en,Northwind Card,uk,SW1A 1AA
"""


def test_UK_06_a_list_of_postcodes_is_not_a_right_party_confirmation(db_url):
    """HARM: Olivia's balance and arrears are disclosed to whoever holds her phone after
    17 guessed postcodes, where the script allows 3 tries. UK-06 (CONC 7.9.10R: confirm
    "by suitable means" that they are the borrower before disclosing debt details).

    ``runner.inbound`` tests every fragment ``bot.identity.candidates`` finds in the
    reply (up to 24: the whole text, every run of 1–3 words, every digit run) against the
    stored hash, and counts the text as *one* try (``dialog.identity_tries`` = 3). A
    reply listing six postcodes is six guesses. Three texts of guesses (the last holding
    the right one as the 17th) confirm the identity; the bot then sends the past-due
    amount and, on "balance", the balance. Expected: a reply that names several different
    postcodes is no confirmation (or counts each as a try), so the right party's data is
    never disclosed here."""
    from tests.live import Clock, Duly, replies_in

    olivia = "+447700900123"
    with Duly(db_url, clock=Clock(dt.datetime(2026, 11, 30, 11, 0, tzinfo=UTC))) as d:
        assert d.import_accounts(UK).errors == []
        assert "postcode" in replies_in(d.sms("hi", frm=olivia).text)[0]
        said: list[str] = []
        for guesses in ("E1 6AN M1 1AE B1 1BB LS1 1UR G1 1XQ CF10 1EP",
                        "EH1 1YZ BS1 4DJ NG1 5FS L1 8JQ S1 2HE NE1 7RU",
                        "OX1 2JD CB2 1TN SW1A 2AA BT1 5GS SW1A 1AA", "balance"):
            said += replies_in(d.sms(guesses, frm=olivia).text)
        assert not any("£" in b for b in said), said


# --- finding 7: the address on the phone's other account is not a candidate zone ---------

TWO_ADDRESSES = """account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,state,creditor,profile,consent_source,consent_at
OLD-1,Sam Ortega,+1 212 555 0188,480.00,35,160.00,USD,2026-12-10,NY,Northwind Card Services,us_first_party,card application,2021-06-11T12:00:00Z
NEW-2,Sam Ortega,+1 212 555 0188,900.00,0,0.00,USD,2027-01-10,CA,Northwind Card Services,us_first_party,card application,2026-09-01T12:00:00Z
"""


def test_US_02_the_address_on_the_phones_other_account_is_a_candidate_zone(db_url):
    """HARM: a collection text at 05:30 where the customer lives. US-02 ("unknown or
    conflicting location: send only at times convenient in *every* zone the consumer
    might be in"; candidates include "mailing address, last-known address"), US-01.

    Sam's old card (OLD-1, 35 days past due) still has his New York address; the card he
    opened after moving (NEW-2, current) has his California one; both on his New York
    mobile. ``runner.outbound.resolve`` builds the zones from the phone and the
    *message's* account only (``relevant``), although it reads holds, hand-offs and caps
    phone-wide — so OLD-1's cadence step goes at 08:30 New York time, 05:30 in California.
    Expected: it waits until 08:00 Pacific (11:00 Eastern)."""
    from tests.live import Clock, Duly
    from tests.test_cycle_e2e import duly_cli

    at = dt.datetime(2026, 12, 1, 13, 30, tzinfo=UTC)     # Tue 08:30 EST = 05:30 PST
    with Duly(db_url, clock=Clock(at)) as d:
        assert d.import_accounts(TWO_ADDRESSES, today=dt.date(2026, 12, 1)).errors == []
        r = duly_cli(db_url, "worker", "--once", "--now", at.isoformat())
        assert r.returncode == 0, r.stdout + r.stderr
        with d.services.sessions() as s:
            rows = s.scalars(select(Message).where(Message.to_number == "+12125550188",
                                                   Message.direction == "outbound")).all()
            assert rows, "the cadence queued nothing (test setup)"
            went = [(m.kind, m.status) for m in rows if m.status not in ("deferred", "refused")]
        assert went == [], f"sent at 05:30 in California: {went}"


# --- finding 8: a reply held by a sender pause goes a day later, whatever the hour --------

def test_US_01_a_reply_held_by_a_sender_pause_does_not_go_at_night_a_day_later(db_url):
    """HARM: "Your balance is $1,250.00…" lands at 21:40 the next evening — a day after the
    customer asked, after 21:00 local. US-01, and COMPLIANCE's ruling on replies: the
    exemption covers answering a consumer-initiated communication "once, **at that
    time**" (12 CFR 1006.6(b)(1) comment 6(b)(1)-2).

    Our number is paused by the provider (Twilio 30034; ``[outbound] sender_pause_hours``
    = 24) from Monday 21:30 New York time. Dana texts "what's my balance" at 21:35; the
    gate defers the reply until the pause ends (``gate:sender_paused``) — Tuesday 21:30.
    At dispatch ``runner.outbound.redecide`` still treats it as a reply
    (``in_reply_to_id`` is set), so the hours never apply, and the worker sends it at
    21:40 Tuesday. Expected: not sent outside 08:00–21:00 (deferred to Wednesday 08:00,
    or refused as stale)."""
    from storage.models import SenderPause
    from tests.live import OUR_NUMBER, Clock, Duly
    from tests.test_console_http import ACCOUNTS
    from tests.test_cycle_e2e import duly_cli

    paused = dt.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)        # Mon 21:30 EST
    with Duly(db_url, clock=Clock(paused + dt.timedelta(minutes=5))) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        with d.services.sessions() as s, s.begin():
            s.add(SenderPause(sender=OUR_NUMBER, reason="30034", paused_until=paused + dt.timedelta(hours=24),
                              created_at=paused))
        d.sms("what's my balance")
        with d.services.sessions() as s:
            reply = s.scalar(select(Message).where(Message.direction == "outbound",
                                                   Message.in_reply_to_id.is_not(None)))
            assert reply is not None and reply.status == "deferred", "setup: the reply waits for the pause"
        at = paused + dt.timedelta(hours=24, minutes=10)          # Tue 21:40 EST
        w = duly_cli(db_url, "worker", "--once", "--now", at.isoformat())
        assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            status = s.get(Message, reply.id).status
        assert status in ("deferred", "refused"), f"the reply went at 21:40 the next day: {status}"


# --- finding 9: one 'undelivered' status silences a number that then texts us ------------

def test_G_02_a_customer_who_texts_after_an_undelivered_status_gets_her_promise_reminder(db_url):
    """HARM: the reminder the customer was promised before her payment date never comes
    (nor anything else Duly starts, ever), because one earlier text came back
    ``undelivered`` with 30003 (handset unreachable — often a phone switched off).
    G-02 / DESIGN's cycle step 5 ("reminders before a promised date"); the status
    callback table (README: 30003 "undeliverable").

    Monday 10:00: the cadence notice goes; its status callback says ``undelivered``,
    ErrorCode 30003 → ``apply_provider_error`` stamps ``Phone.undeliverable_at``. Dana
    then texts "I can pay 100 on friday", "yes" — the number plainly receives and sends.
    Nothing ever clears ``undeliverable_at`` (``runner/worker.py`` only sets it), so
    Thursday's reminder is refused ``gate:undeliverable``. Expected: an inbound text
    from the number (or a later delivered status) lifts the undeliverable mark and the
    reminder goes."""
    from tests.live import Duly, replies_in
    from tests.test_console_http import ACCOUNTS
    from tests.test_cycle_e2e import duly_cli

    consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
        "us_first_party\n", "us_first_party,application form 2026-01-04\n")
    with Duly(db_url) as d:                                       # Mon 30 Nov 10:00 New York
        assert d.import_accounts(consented).errors == []
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-11-30T15:00:00Z")
        assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            notice = s.scalar(select(Message.id).where(Message.kind == "notice", Message.status == "sent"))
        assert notice is not None, "setup: the cadence notice was sent"
        r = d.post_signed(f"/webhooks/twilio/status?mid={notice}",
                          [("MessageSid", "SM" + "7" * 32), ("MessageStatus", "undelivered"),
                           ("ErrorCode", "30003"), ("To", "+15555550101")])
        assert r.status_code == 204
        assert "Fri Dec 4" in replies_in(d.sms("I can pay 100 on friday").text)[0]
        assert replies_in(d.sms("yes").text)[0].startswith("Confirmed")
        for day in ("2026-12-03T15:00:00Z", "2026-12-04T14:00:00Z"):
            w = duly_cli(db_url, "worker", "--once", "--now", day)
            assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            reminders = s.scalars(select(Message.status).where(Message.kind == "reminder")).all()
        assert reminders and all(x == "sent" for x in reminders), reminders


# --- finding 10: under a dispute hold the bot goes on collecting ----------------------------

def test_US_16_no_payment_asks_while_a_dispute_hold_stands(db_url):
    """HARM: a consumer whose written dispute the lender has logged is sent "Your account
    is past due: $312.50", a payment link for $312.50 and a plan menu, and a promise to pay
    is taken from her, before any verification. US-16 (FDCPA §809(b), 12 CFR 1006.38:
    collection stops until verification is sent; "all collection templates blocked, human
    queue"; test row: "no payment asks … an agent task is created").

    The loan system posts ``{"kind": "dispute"}`` to ``/api/holds`` (a dispute received by
    post). The gate refuses a hold only for texts Duly *starts* (``bot/gate.py``: ``if
    ctx.holds and (candidate.kind in INITIATED_KINDS or …)``); the engine treats only
    cease/attorney/bankruptcy/deceased/recalled as silencing (``SILENCING_HOLDS``), so
    when Dana texts, the bot answers with the debt and takes payment. Expected: no amount,
    no payment link, no plan, no promise; her message reaches a person."""
    from storage.models import Handoff, Promise
    from tests.live import API_TOKEN, Duly, replies_in
    from tests.test_console_http import ACCOUNTS

    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        r = d.http.post("/api/holds", json={"account_ref": "ACME-4417", "kind": "dispute",
                                            "note": "written dispute received 2026-11-27"},
                        headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert r.status_code == 200 and r.json()["created"], r.text
        said: list[str] = []
        for text in ("hi", "pay", "plan", "I can pay 50 on friday", "yes"):
            said += replies_in(d.sms(text).text)
        with d.services.sessions() as s:
            promises = s.scalars(select(Promise.status)).all()
            handoffs = s.scalars(select(Handoff.reason)).all()
        asks = [b for b in said if "$" in b or "pay.example" in b]
        assert (asks, promises) == ([], []) and handoffs, (asks, promises, handoffs)


def test_US_16_after_we_said_collection_is_paused_the_bot_does_not_ask_for_payment(db_url):
    """HARM: Duly tells Dana "We've received your dispute and paused collection", then —
    once an agent hands the conversation back to the bot (the dispute hold still active,
    nothing verified) — answers her "hi" with "Reply PAY to pay $312.50" and "pay" with a
    payment link. US-16 (collection stops until verification); US-21 (the pause we
    announced is false). Same root cause as the API hold: a dispute hold does not silence
    the bot's replies (``SILENCING_HOLDS`` lacks it; ``bot/gate.py`` refuses held replies
    only for initiated kinds)."""
    from storage.models import Hold
    from tests.live import Duly, replies_in
    from tests.test_console_http import ACCOUNTS

    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        d.sms("hi")
        ack = replies_in(d.sms("this is not my debt, I never had this card").text)
        assert any("paused collection" in b for b in ack), ack
        with d.services.sessions() as s:
            cid = s.scalar(select(Conversation.id))
            assert s.scalar(select(Hold.kind).where(Hold.cleared_at.is_(None))) == "dispute"
        d.services.runner.agent_action(cid, "hand_back", "agent@x.test")
        said: list[str] = []
        for text in ("hi", "pay"):
            said += replies_in(d.sms(text).text)
        asks = [b for b in said if "$" in b or "pay.example" in b]
        assert asks == [], asks


# --- finding 11: an agent's text queued before STOP is released by START -------------------

def test_US_05_an_agents_text_queued_before_stop_is_not_released_by_start(db_url):
    """HARM: a collection text the customer's STOP should have killed reaches her the next
    morning. US-05/US-07 (nothing after a STOP), US-27 (START restores the channel, not
    what was queued before); README/``Runner._cancel_waiting``: "texts Duly started that
    still wait … are refused at the opt-out, not merely held: a later START does not
    release dunning queued before the customer said stop".

    At 21:30 New York an agent writes Dana an unprompted follow-up; the gate defers it to
    08:00 (US-01). At 22:00 she texts STOP (confirmed). At 07:00 she texts START (she
    wants her payment reminders back). ``_cancel_waiting`` refused only waiting texts of
    ``gate.INITIATED_KINDS`` (notice, reminder, followup, campaign) — the agent's text has
    kind ``agent`` and stayed ``deferred`` — so at 08:05 the worker sends it. Expected: it
    was refused at the STOP and never goes."""
    from tests.live import Clock, Duly, add_user, console_login, replies_in
    from tests.test_console_http import ACCOUNTS, handoff, ok
    from tests.test_cycle_e2e import duly_cli

    clock = Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC))   # Mon 10:00 New York
    consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
        "us_first_party\n", "us_first_party,application form 2026-01-04\n")
    with Duly(db_url, clock=clock) as d:
        assert d.import_accounts(consented).errors == []
        add_user(d, "agent@x.test")
        cid = handoff(d)
        c, csrf = console_login(d, "agent@x.test")
        assert ok(c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}))
        clock.advance(hours=11, minutes=30)                       # 21:30: her message is old
        body = "Hi Dana, following up on your call request. Reply STOP to opt out."
        assert "queued" in ok(c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": body}))
        clock.advance(minutes=30)                                 # 22:00
        assert "unsubscribed" in replies_in(d.sms("STOP").text)[0]
        clock.advance(hours=9)                                    # 07:00
        assert "subscribed" in replies_in(d.sms("START").text)[0]
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T13:05:00Z")   # 08:05
        assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            status = s.scalar(select(Message.status).where(Message.sender == "agent:agent@x.test"))
        assert status == "refused", f"the agent's pre-STOP text: {status}"


def test_G_02_an_agents_deferred_demand_does_not_go_after_the_customer_promised(db_url):
    """HARM: the morning after Duly confirmed "Confirmed: $312.50 on Fri Dec 4", Dana gets
    "please pay the $312.50 past due … today" — a demand that contradicts the agreement
    (G-02: confirmations accurate, "dunning queued before [a promise] never goes";
    UK-02/US-21 pressure to pay sooner than agreed).

    An agent writes the demand at 21:30 (deferred to 08:00, US-01) and hands the
    conversation back; at 22:00 Dana promises $312.50 for Friday with the bot. The gate
    applies G-02's "queued before the promise" and G-01's "queued before the hand-off"
    only to ``DUNNING_KINDS``/``INITIATED_KINDS`` — an agent's text (kind ``agent``) is
    neither — so the worker sends it at 08:05. Expected: refused as stale (G-02)."""
    from tests.live import Clock, Duly, add_user, console_login, replies_in
    from tests.test_console_http import ACCOUNTS, handoff, ok
    from tests.test_cycle_e2e import duly_cli

    clock = Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC))   # Mon 10:00 New York
    consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
        "us_first_party\n", "us_first_party,application form 2026-01-04\n")
    with Duly(db_url, clock=clock) as d:
        assert d.import_accounts(consented).errors == []
        add_user(d, "agent@x.test")
        cid = handoff(d)
        c, csrf = console_login(d, "agent@x.test")
        assert ok(c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}))
        clock.advance(hours=11, minutes=30)                       # 21:30
        body = "Hi Dana, please pay the $312.50 past due on your Northwind card today. Reply STOP to opt out."
        assert "queued" in ok(c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": body}))
        assert ok(c.post(f"/console/c/{cid}/hand_back", data={"csrf_token": csrf, "state": "menu"}))
        clock.advance(minutes=30)                                 # 22:00
        d.sms("I can pay 312.50 on friday")
        assert replies_in(d.sms("yes").text)[0].startswith("Confirmed: $312.50 on Fri Dec 4")
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T13:05:00Z")   # Tue 08:05
        assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            status = s.scalar(select(Message.status).where(Message.sender == "agent:agent@x.test"))
        assert status == "refused", f"the agent's pre-promise demand: {status}"


# --- finding 12: the loan-system API answers 500 to malformed values ------------------------

@pytest.mark.parametrize("path,body", [
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "PAY\u00001"}),
    ("/api/payments", {"account_ref": "ACME-4417", "amount": "10.00", "payment_ref": "PAY-2",
                       "paid_at": "0001-01-01T00:00:00+14:00"}),
    ("/api/payments/reverse", {"payment_ref": "PAY\u00003"}),
    ("/api/holds", {"account_ref": "ACME-4417", "kind": "dispute", "note": "letter\u0000dated 27 Nov"}),
    ("/api/holds/clear", {"account_ref": "ACME\u00004417", "kind": "dispute"}),
], ids=["payment_ref_nul", "paid_at_year_1", "reverse_nul", "hold_note_nul", "clear_ref_nul"])
def test_api_malformed_values_are_422_not_500(db_url, path, body):
    """HARM: a loan system retries a 5xx; one payment or hold with a stray NUL byte (or a
    mis-keyed ``paid_at``) answered 500 becomes a poison request at the head of its
    queue, and the payments and holds behind it never reach Duly — customers who paid
    or disputed keep being dunned (US-21, US-16). CONTRACT/``duly/api.py``: "422 invalid
    fields (``{"error", "fields"}``), 400 malformed JSON".

    ``duly/api.py`` passes string fields straight to queries (PostgreSQL: "text fields
    cannot contain NUL (0x00) bytes" → DataError → 500; ``/api/accounts`` already turns
    that into a 422 per row), and ``_parse_when`` catches ValueError/KeyError but not the
    OverflowError of ``0001-01-01T00:00:00+14:00``.astimezone(UTC) (500 on SQLite too).
    Expected: 4xx naming the field; nothing stored."""
    from tests.live import API_TOKEN, Duly
    from tests.test_console_http import ACCOUNTS

    if db_url.startswith("sqlite") and path in ("/api/payments/reverse", "/api/holds/clear"):
        pytest.skip("SQLite stores NUL; an unknown reference with one is already a 404 there")
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        r = d.http.post(path, json=body, headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert 400 <= r.status_code < 500, (r.status_code, r.text)


# --- finding 13: reminders of an agent-recorded promise disclose to an unverified UK phone --

UK_CONSENTED = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,identity_check,consent_source
UK-1,Olivia Hart,+447700900123,900.00,20,300.00,30.00,GBP,Europe/London,en,Northwind Card,uk,SW1A 1AA,card application
"""


def test_UK_06_no_reminder_with_debt_detail_to_a_phone_that_never_confirmed_identity(db_url):
    """HARM: "Hi Olivia Hart, a friendly reminder from Northwind Card: your payment of £50.00
    is due Fri…" to a phone whose holder never passed the postcode check. UK-06 (CONC
    7.9.10R: no debt details before confirming the borrower; "The balance is shown only
    after verification … in-thread").

    Someone texts from Olivia's number: "hi" (asked for the postcode, never answered),
    then "I want to talk to a person". An agent takes over and records a £50 promise and
    plan 1 (the step does not ask whether the thread's identity is confirmed). The
    reminders (``runner/arrangements.py``) are approved templates, so the gate lints them
    only with ``bot.lint.hard_rules``, which has no UK-06 identity rule; the worker sends
    them. Expected: nothing with the name, the creditor's debt or an amount goes to this
    phone until the identity is confirmed (or the agent cannot record it)."""
    from tests.live import Clock, Duly, add_user, console_login, replies_in
    from tests.test_console_http import ok
    from tests.test_cycle_e2e import duly_cli

    olivia = "+447700900123"
    with Duly(db_url, clock=Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC))) as d:   # Mon 15:00 London
        assert d.import_accounts(UK_CONSENTED).errors == []
        add_user(d, "agent@x.test")
        assert "postcode" in replies_in(d.sms("hi", frm=olivia).text)[0]
        d.sms("I want to talk to a person", frm=olivia)
        with d.services.sessions() as s:
            cid = s.scalar(select(Conversation.id))
        c, csrf = console_login(d, "agent@x.test")
        assert ok(c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}))
        c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "UK-1",
                                                  "amount": "50.00", "due_date": "2026-12-04"})
        c.post(f"/console/c/{cid}/hand_back", data={"csrf_token": csrf, "state": "menu"})
        for day in ("2026-12-01T11:00:00Z", "2026-12-03T11:00:00Z"):
            w = duly_cli(db_url, "worker", "--once", "--now", day)
            assert w.returncode == 0, w.stdout + w.stderr
        with d.services.sessions() as s:
            leaked = s.scalars(select(Message.body).where(
                Message.to_number == olivia, Message.direction == "outbound",
                Message.status.not_in(("refused", "deferred")))).all()
        assert not [b for b in leaked if "£" in b or "Olivia" in b], leaked


@pytest.mark.parametrize("said,hold", [("my husband just died last week", "vulnerability"),
                                       ("I already paid this last week", "paid_already")])
def test_UK_07_held_automation_stays_paused_after_a_hand_back(db_url, said, hold):
    """HARM: a widow told "A member of our team will contact you", or a customer told
    "We've paused reminders while a member of our team checks your payment", is answered
    "Reply PAY to pay $312.50" and sent a payment link once an agent hands the thread back
    to the bot with the hold still active. UK-07 ("pause automation … vulnerability flag
    kept"), COMPLIANCE "already paid": "dunning paused and a hand-off to verify"; US-21
    (the announced pause is false). Same root cause as the dispute hold: only
    ``SILENCING_HOLDS`` silence the bot; other holds stop initiated texts only."""
    from storage.models import Hold
    from tests.live import Duly, replies_in
    from tests.test_console_http import ACCOUNTS

    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        d.sms("hi")
        d.sms(said)
        with d.services.sessions() as s:
            cid = s.scalar(select(Conversation.id))
            assert hold in s.scalars(select(Hold.kind).where(Hold.cleared_at.is_(None))).all()
        d.services.runner.agent_action(cid, "hand_back", "agent@x.test")
        out: list[str] = []
        for text in ("hi", "pay"):
            out += replies_in(d.sms(text).text)
        asks = [b for b in out if "$" in b or "pay.example" in b]
        assert asks == [], asks
