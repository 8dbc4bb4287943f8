"""The agent console over real HTTP (uvicorn), on SQLite and PostgreSQL: access control,
CSRF, roles, the take-over → reply → hand-back loop, the gate in front of agents, notes,
promises, the audit log, agent hours and SLA alerts, live updates."""

from __future__ import annotations

import datetime as dt
import re
import threading

import httpx2 as httpx
import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Handoff, Message, Note, Promise
from tests.live import Clock, Duly, add_user, console_login, replies_in, wait_for

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
DANA = "+15555550101"

#: Every console route, with a method; all need a signed-in user.
ROUTES = [("GET", "/console"), ("GET", "/console/inbox"), ("GET", "/console/inbox/rows"),
          ("GET", "/console/badge"), ("GET", "/console/search?phone=%2B15555550101"),
          ("GET", "/console/stream"), ("GET", "/console/c/1"), ("GET", "/console/c/1/thread"),
          ("GET", "/console/password"), ("GET", "/console/admin/users"), ("GET", "/console/admin/audit"),
          ("POST", "/console/logout"), ("POST", "/console/password"), ("POST", "/console/c/1/check"),
          ("POST", "/console/c/1/claim"), ("POST", "/console/c/1/assign"), ("POST", "/console/c/1/take_over"),
          ("POST", "/console/c/1/hand_back"), ("POST", "/console/c/1/close"), ("POST", "/console/c/1/reply"),
          ("POST", "/console/c/1/note"), ("POST", "/console/c/1/promise"), ("POST", "/console/c/1/plan"),
          ("POST", "/console/c/1/hold"), ("POST", "/console/c/1/clear_hold"),
          ("POST", "/console/admin/users"), ("POST", "/console/admin/users/1/signout")]
POSTS = [p for m, p in ROUTES if m == "POST"]


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        add_user(d, "agent@x.test", "agent")
        add_user(d, "boss@x.test", "admin")
        yield d


def ok(r) -> str | None:
    """The success message a console action redirects with (``None`` if it failed)."""
    assert r.status_code == 303, (r.status_code, r.text)
    return httpx.URL(r.headers["location"]).params.get("ok")


def err(r) -> str | None:
    """The error message a console action redirects with (``None`` if it succeeded)."""
    assert r.status_code == 303, (r.status_code, r.text)
    return httpx.URL(r.headers["location"]).params.get("err")


def handoff(duly: Duly) -> int:
    """Dana asks for a person; returns the conversation id."""
    duly.sms("I want to talk to a person")
    with duly.services.sessions() as s:
        return s.scalar(select(Handoff.conversation_id).where(Handoff.resolved_at.is_(None)))


def test_every_route_needs_sign_in(duly):
    c = httpx.Client(base_url=duly.server.url, timeout=30)
    for method, path in ROUTES:
        r = c.request(method, path, data={} if method == "POST" else None)
        if method == "GET" and path != "/console/stream":
            assert r.status_code == 303, (path, r.status_code)
            assert r.headers["location"].startswith("/console/login?next="), path
        else:
            assert r.status_code in (401, 303), (path, r.status_code)
            assert r.status_code != 200
    # the sign-in page itself is open, and sends the user back where they were going
    r = c.get("/console/login", params={"next": "/console/c/1"})
    assert r.status_code == 200 and 'value="/console/c/1"' in r.text
    # an open redirect is refused
    r = c.get("/console/login", params={"next": "https://evil.test/"})
    assert "evil.test" not in r.text


def test_missing_or_wrong_csrf_is_refused(duly):
    cid = handoff(duly)
    c, csrf = console_login(duly, "boss@x.test")
    for path in POSTS:
        path = path.replace("/c/1/", f"/c/{cid}/")
        assert c.post(path, data={"body": "hi"}).status_code == 403, path
        assert c.post(path, data={"csrf_token": "nope", "body": "hi"}).status_code == 403, path
    # nothing happened: still bot mode... (the handoff put it in agent mode; no take-over by anyone)
    with duly.services.sessions() as s:
        assert s.scalar(select(Handoff.assigned_to).where(Handoff.conversation_id == cid)) is None
    r = c.post(f"/console/c/{cid}/claim", data={"csrf_token": csrf})
    assert r.status_code == 303
    with duly.services.sessions() as s:
        assert s.scalar(select(Handoff.assigned_to).where(Handoff.conversation_id == cid)) == "boss@x.test"


def test_login_csrf_and_wrong_password_and_rate_limit(duly):
    c = httpx.Client(base_url=duly.server.url, timeout=30)
    r = c.post("/console/login", data={"email": "agent@x.test", "password": "correct horse battery"})
    assert r.status_code == 403                       # no login CSRF cookie/token
    page = c.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/console/login", data={"email": "agent@x.test", "password": "wrong", "csrf_token": token})
    assert r.status_code == 401 and "Wrong email or password" in r.text
    assert "duly_session" not in c.cookies
    codes = [c.post("/console/login", data={"email": "agent@x.test", "password": "wrong", "csrf_token": token})
             .status_code for _ in range(6)]
    assert codes[-1] == 429 and 401 in codes
    # even the right password is refused while limited
    r = c.post("/console/login", data={"email": "agent@x.test", "password": "correct horse battery",
                                       "csrf_token": token})
    assert r.status_code == 429


def test_session_cookie_flags_and_logout_revokes(duly):
    c = httpx.Client(base_url=duly.server.url, timeout=30)
    page = c.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/console/login", data={"email": "agent@x.test", "password": "correct horse battery",
                                       "csrf_token": token})
    cookie = [v for k, v in r.headers.multi_items() if k.lower() == "set-cookie" and v.startswith("duly_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    stolen = c.cookies["duly_session"]
    inbox = c.get("/console/inbox")
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', inbox.text).group(1)
    assert c.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    # the old cookie is dead on the server, not only deleted in this browser
    other = httpx.Client(base_url=duly.server.url, timeout=30, cookies={"duly_session": stolen})
    assert other.get("/console/inbox").status_code == 303


def test_password_change_revokes_other_sessions(duly):
    a, csrf_a = console_login(duly, "agent@x.test")
    b, _ = console_login(duly, "agent@x.test")
    r = a.post("/console/password", data={"csrf_token": csrf_a, "current": "correct horse battery",
                                          "new": "a much longer secret"})
    assert r.status_code == 200 and "Password changed" in r.text
    assert a.get("/console/inbox").status_code == 200      # this browser got a new session
    assert b.get("/console/inbox").status_code == 303      # the other one is signed out
    console_login(duly, "agent@x.test", "a much longer secret")


def test_agent_refused_on_admin_routes(duly):
    c, csrf = console_login(duly, "agent@x.test")
    assert c.get("/console/admin/users").status_code == 403
    assert c.get("/console/admin/audit").status_code == 403
    r = c.post("/console/admin/users", data={"csrf_token": csrf, "email": "x@x.test", "role": "admin",
                                             "password": "0123456789ab"})
    assert r.status_code == 403
    boss, bcsrf = console_login(duly, "boss@x.test")
    assert boss.get("/console/admin/users").status_code == 200
    r = boss.post("/console/admin/users", data={"csrf_token": bcsrf, "email": "new@x.test", "role": "agent",
                                                "password": "0123456789ab"})
    assert ok(r) == "created new@x.test"
    console_login(duly, "new@x.test", "0123456789ab")


def test_take_over_reply_silence_hand_back(duly):
    cid = handoff(duly)
    c, csrf = console_login(duly, "agent@x.test")
    inbox = c.get("/console/inbox", params={"f": "unassigned"})
    assert f"/console/c/{cid}" in inbox.text and "agent request" in inbox.text
    assert c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}).status_code == 303
    check = c.post(f"/console/c/{cid}/check", data={"body": "Hi Dana, this is Sam from Northwind."},
                   headers={"X-CSRF-Token": csrf})
    assert 'data-verdict="send"' in check.text and "1 segment" in check.text
    r = c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": "Hi Dana, this is Sam from Northwind."})
    assert ok(r) == "sent"
    with duly.services.sessions() as s:
        m = s.scalar(select(Message).where(Message.sender == "agent:agent@x.test"))
        assert m.body == "Hi Dana, this is Sam from Northwind." and m.status == "sent" and m.kind == "agent"
        assert m.in_reply_to_id is not None                  # answers her message: a reply
    # the bot is silent while the agent owns it
    assert duly.sms("can I pay next week?").text.endswith("<Response/>")
    r = c.post(f"/console/c/{cid}/hand_back", data={"csrf_token": csrf, "state": "menu"})
    assert r.status_code == 303
    assert "<Message" in duly.sms("pay").text                # the bot answers again
    with duly.services.sessions() as s:
        assert s.scalar(select(Handoff.resolved_at).where(Handoff.conversation_id == cid)) is not None
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.conversation_id == cid)
                            .order_by(AuditEntry.id)).all()
    assert actions[:4] == ["take_over", "claim", "reply", "hand_back"]


def test_xss_body_is_shown_as_text(duly):
    duly.sms('<img src=x onerror="alert(1)"> <script>alert(2)</script> talk to a person')
    c, _ = console_login(duly, "agent@x.test")
    with duly.services.sessions() as s:
        cid = s.scalar(select(Handoff.conversation_id))
    for page in (c.get(f"/console/c/{cid}").text, c.get(f"/console/c/{cid}/thread").text, c.get("/console/inbox").text):
        assert "<img src=x" not in page and "<script>alert" not in page
        assert "&lt;img src=x onerror=" in page


def test_reply_to_opted_out_customer_is_refused(duly):
    cid = handoff(duly)
    c, csrf = console_login(duly, "agent@x.test")
    c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
    duly.sms("STOP")
    check = c.post(f"/console/c/{cid}/check", data={"body": "Please call us"}, headers={"X-CSRF-Token": csrf})
    assert 'data-verdict="refuse"' in check.text and "US-05" in check.text
    assert re.search(r'data-testid="send"[^>]*disabled', check.text)
    r = c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": "Please call us"})
    assert "US-05" in err(r)
    with duly.services.sessions() as s:
        rows = s.scalars(select(Message).where(Message.sender == "agent:agent@x.test")).all()
    assert [m.status for m in rows] == ["refused"]               # kept with its reason, never sent
    assert not any(t["body"] == "Please call us" for t in duly.transport.sent)


def test_unprompted_agent_text_at_night_waits_for_the_window(db_url):
    clock = Clock(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc))   # Mon 10:00 New York
    with Duly(db_url, clock=clock) as duly:
        consented = ACCOUNTS.replace("creditor,profile", "creditor,profile,consent_source").replace(
            "us_first_party\n", "us_first_party,application form 2026-01-04\n")
        assert duly.import_accounts(consented).errors == []
        add_user(duly, "agent@x.test")
        cid = handoff(duly)
        c, csrf = console_login(duly, "agent@x.test")
        c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
        clock.advance(hours=11, minutes=30)                      # 21:30 local, her message is old
        check = c.post(f"/console/c/{cid}/check", data={"body": "Hi Dana, following up on your call request. Reply STOP to opt out."},
                       headers={"X-CSRF-Token": csrf})
        assert 'data-verdict="defer"' in check.text and "US-01" in check.text and "Tue 08:00" in check.text
        r = c.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf,
                                                    "body": "Hi Dana, following up on your call request. Reply STOP to opt out."})
        assert "queued" in ok(r)
        with duly.services.sessions() as s:
            m = s.scalar(select(Message).where(Message.sender == "agent:agent@x.test"))
            assert m.status == "deferred" and m.in_reply_to_id is None
            assert m.not_before == dt.datetime(2026, 12, 1, 13, 0, tzinfo=dt.timezone.utc)


def test_agent_text_that_breaks_content_rules_is_refused(duly):
    cid = handoff(duly)
    c, csrf = console_login(duly, "agent@x.test")
    c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
    body = "Pay today or we will call the police and have you arrested."
    check = c.post(f"/console/c/{cid}/check", data={"body": body}, headers={"X-CSRF-Token": csrf})
    assert 'data-verdict="refuse"' in check.text


def test_notes_promise_plan_and_audit(duly):
    cid = handoff(duly)
    c, csrf = console_login(duly, "agent@x.test")
    c.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})
    r = c.post(f"/console/c/{cid}/note", data={"csrf_token": csrf, "body": "Says payday is the 4th <b>"})
    assert ok(r) == "note saved"
    r = c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "ACME-4417",
                                                  "amount": "80.00", "due_date": "2026-12-04"})
    assert ok(r) == "promise recorded: $80.00 on 2026-12-04"
    r = c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "ACME-4417",
                                                  "amount": "80.00", "due_date": "2026-11-01"})
    assert err(r).startswith("not recorded")                  # a past date is not recorded
    r = c.post(f"/console/c/{cid}/plan", data={"csrf_token": csrf, "account_ref": "ACME-4417", "option": "1"})
    assert ok(r) == "plan recorded"
    with duly.services.sessions() as s:
        p = s.scalars(select(Promise)).all()
        assert [(x.amount_minor, x.due_date, x.source) for x in p] == [(8000, dt.date(2026, 12, 4), "agent:agent@x.test")]
        assert s.scalar(select(Note.body)) == "Says payday is the 4th <b>"
        audit = s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "agent@x.test")).all()
    assert {"note", "record_promise", "record_plan", "take_over"} <= set(audit)
    page = c.get(f"/console/c/{cid}").text
    assert "$80.00 on 2026-12-04" in page and "Says payday is the 4th &lt;b&gt;" in page
    assert "Please" not in "".join(t["body"] for t in duly.transport.sent)   # a note is never sent
    boss, _ = console_login(duly, "boss@x.test")
    assert "record_promise" in boss.get("/console/admin/audit").text


def test_an_invalid_promise_changes_nothing_and_is_audited_as_refused(duly):
    """The trial: "Record promise" of 5000 on a smaller balance was refused, yet an audit
    entry ``record_promise amount_minor 500000`` said it was recorded (and the trial saw the
    conversation taken over). Now the step's verdict comes first: a refused promise leaves
    the conversation exactly as it was (mode, owner, state, slots, handoff, no G-01 decision)
    and the audit log says ``record_promise_refused`` with the reason; the agent is told
    which limit it broke. A good promise still records and audits ``record_promise``."""
    from storage.models import Conversation, Decision

    duly.sms("hi")                                        # the bot has Dana: bot mode
    with duly.services.sessions() as s:
        conv = s.scalars(select(Conversation)).one()
        cid, before = conv.id, (conv.mode, conv.assigned_agent, conv.state, dict(conv.slots or {}))
    c, csrf = console_login(duly, "agent@x.test")

    def attempt(amount, due="2026-12-04"):
        return err(c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "ACME-4417",
                                                             "amount": amount, "due_date": due}))

    assert attempt("5000") == "not recorded: $5,000.00 is more than the balance of $1,250.00"
    assert attempt("80", "2026-11-01") == "not recorded: 2026-11-01 is before the customer's today (2026-11-30)"
    with duly.services.sessions() as s:
        conv = s.get(Conversation, cid)
        assert (conv.mode, conv.assigned_agent, conv.state, dict(conv.slots or {})) == before
        assert s.scalar(select(Promise.id)) is None
        audit = s.scalars(select(AuditEntry).where(AuditEntry.actor == "agent@x.test",
                                                   AuditEntry.action != "sign_in")
                          .order_by(AuditEntry.id)).all()
        assert [a.action for a in audit] == ["record_promise_refused", "record_promise_refused"]
        assert audit[0].detail["problem"] == "amount_above_balance" and audit[0].detail["amount_minor"] == 500000
        assert audit[1].detail["problem"] == "date_past"
        assert s.scalar(select(Decision.id).where(Decision.actor == "agent:agent@x.test")) is None
    assert ok(c.post(f"/console/c/{cid}/promise", data={"csrf_token": csrf, "account_ref": "ACME-4417",
                                                         "amount": "80.00", "due_date": "2026-12-04"}))
    with duly.services.sessions() as s:
        assert s.scalar(select(Promise.amount_minor)) == 8000
        assert s.scalar(select(Conversation.mode).where(Conversation.id == cid)) == "bot"
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "agent@x.test")
                         .order_by(AuditEntry.id.desc()).limit(1)).one() == "record_promise"


def test_handoff_outside_agent_hours_tells_the_customer_once(db_url):
    clock = Clock(dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.timezone.utc))    # Saturday
    with Duly(db_url, clock=clock) as duly:
        duly.import_accounts(ACCOUNTS)
        first = duly.sms("I want to talk to a person").text
        assert replies_in(first) == ["Our team is away right now. A person will reply from Mon Dec 7 08:00 EST."]
        again = duly.sms("hello? a person please").text
        assert "A person will reply" not in again
        # the SLA clock starts when agents are back: Monday 08:00 + 15 minutes
        with duly.services.sessions() as s:
            due = s.scalar(select(Handoff.sla_due_at))
        assert due == dt.datetime(2026, 12, 7, 13, 15, tzinfo=dt.timezone.utc)


def test_sla_breach_alerts_once_and_shows_overdue(duly):
    from runner.agents import sla_sweep

    cid = handoff(duly)
    c, _ = console_login(duly, "agent@x.test")
    assert "past SLA" not in c.get("/console/inbox").text
    duly.clock.advance(minutes=16)                             # agent_request SLA is 15 min
    assert sla_sweep(duly.services.sessions, duly.clock(), duly.services.runner) == 1
    assert sla_sweep(duly.services.sessions, duly.clock(), duly.services.runner) == 0
    inbox = c.get("/console/inbox").text
    assert "1 handoff past SLA" in inbox and "1m over" in inbox
    metrics = c.get("/metrics").text
    assert "duly_handoffs_past_sla 1.0" in metrics and 'duly_handoffs_waiting{reason="agent_request"} 1.0' in metrics
    with duly.services.sessions() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "sla_breach",
                                                        AuditEntry.conversation_id == cid)) == "sla_breach"


def test_stream_announces_a_new_handoff(duly):
    c, _ = console_login(duly, "agent@x.test")
    seen: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        with c.stream("GET", "/console/stream", timeout=15) as r:
            assert r.status_code == 200
            for line in r.iter_lines():
                if line.startswith("event:"):
                    seen.append(line.split(":", 1)[1].strip())
                    ready.set()
                    if any(e.startswith("conv-") for e in seen):
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)                                      # "hello"
    cid = handoff(duly)
    t.join(12)
    assert "inbox" in seen and f"conv-{cid}" in seen


def test_users_add_cli(db_url, monkeypatch, capsys):
    from duly import users_cli
    from tests.live import settings_for

    monkeypatch.setenv("DULY_PASSWORD", "a long enough pw")
    settings = settings_for(db_url)
    assert users_cli.main("add", "Cli@X.test", "admin", settings) == 0
    assert "created cli@x.test (admin)" in capsys.readouterr().out
    assert users_cli.main("add", "cli@x.test", "agent", settings) == 1       # taken
    monkeypatch.setenv("DULY_PASSWORD", "short")
    assert users_cli.main("add", "b@x.test", "agent", settings) == 1         # too short
    assert "at least 10" in capsys.readouterr().err
    assert users_cli.main("deactivate", "cli@x.test", "agent", settings) == 0
    assert users_cli.main("deactivate", "nobody@x.test", "agent", settings) == 1
    from duly.app import make_services
    from storage.models import User

    services = make_services(settings)
    with services.sessions() as s:
        assert s.scalar(select(User.active).where(User.email == "cli@x.test")) == 0
    services.engine.dispose()


def test_another_agents_conversation_is_not_taken_or_answered(duly):
    add_user(duly, "other@x.test", "agent")
    cid = handoff(duly)
    a, csrf_a = console_login(duly, "agent@x.test")
    b, csrf_b = console_login(duly, "other@x.test")
    # nobody owns it yet: a reply needs a take-over first
    r = b.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf_b, "body": "hello"})
    assert err(r) == "take the conversation over before replying"
    a.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf_a})
    r = b.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf_b})
    assert err(r).startswith("agent@x.test owns this conversation")
    r = b.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf_b, "body": "hello"})
    assert err(r).startswith("agent@x.test owns")
    boss, csrf_boss = console_login(duly, "boss@x.test")
    r = boss.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf_boss, "body": "Hello from a supervisor."})
    assert ok(r) == "sent"
    # the owner hands it to the other agent, who may then answer her next message (the
    # supervisor's text was the one answer to the first: 12 CFR 1006.6(b)(1) comment
    # 6(b)(1)-2, "once, at that time")
    a.post(f"/console/c/{cid}/assign", data={"csrf_token": csrf_a, "assignee": "other@x.test"})
    duly.sms("ok who am I talking to?")
    r = b.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf_b, "body": "Hi, Alex here."})
    assert ok(r) == "sent"
    with duly.services.sessions() as s:
        senders = s.scalars(select(Message.sender).where(Message.sender.like("agent:%")).order_by(Message.id)).all()
    assert senders == ["agent:boss@x.test", "agent:other@x.test"]


def test_metrics_count_webhooks_messages_and_gate_decisions(duly):
    handoff(duly)
    duly.sms("STOP")
    text = httpx.get(duly.server.url + "/metrics").text
    assert 'duly_webhook_seconds_count{code="200",route="sms"}' in text
    assert 'duly_messages_total{direction="inbound",status="received"}' in text
    assert 'duly_gate_decisions_total{rule="gate:pass",stage="submit",verdict="send"}' in text
    assert "+1555" not in text


def test_after_hours_notice_follows_the_bots_own_answer(db_url):
    # found by a new-user trial: for a bereavement out of hours, "Our team is away…" went
    # before the sympathy text; the customer should read the answer to what they said first
    clock = Clock(dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.timezone.utc))    # Saturday
    with Duly(db_url, clock=clock) as duly:
        duly.import_accounts(ACCOUNTS)
        got = replies_in(duly.sms("my husband died last week, I can't deal with this").text)
        assert len(got) == 2, got
        assert got[1] == "Our team is away right now. A person will reply from Mon Dec 7 08:00 EST."
        assert "away" not in got[0] and "sorry" in got[0].lower()


def test_the_sms_opt_out_badge_shows_only_a_text_opt_out(duly):
    # found by a new-user trial: after a cease and START the page said "SMS opt-out:
    # opted out" — it showed the voice opt-out under the SMS label
    duly.sms("stop calling me")                      # US-05: calls only, texts go on
    cid = handoff(duly)
    c, _ = console_login(duly, "agent@x.test")
    page = c.get(f"/console/c/{cid}").text
    badge = page.split('data-testid="opt-out">', 1)[1].split("</dd>", 1)[0]
    assert badge == "no", badge
    duly.sms("STOP")
    page = c.get(f"/console/c/{cid}").text
    assert "opted out" in page.split('data-testid="opt-out">', 1)[1].split("</dd>", 1)[0]
