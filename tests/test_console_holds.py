"""Holds from the console and the API over real HTTP (uvicorn), on SQLite and PostgreSQL:
an agent places a hold (US-16 dispute, US-17 cease, US-18 attorney, UK-07 ...), the gate
then refuses the agent's own reply and the waiting cadence text; only an admin clears a
silencing hold; the API and the console write the same rows (one code path,
runner/holds.py); ``GET /api/conversations`` lists the active holds."""

from __future__ import annotations

import datetime as dt

import httpx2 as httpx
import pytest
from sqlalchemy import select

from runner.campaign import plan
from storage.models import AuditEntry, Conversation, Decision, Event, Hold, Message
from tests.live import API_TOKEN, Clock, Duly, add_user, console_login

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile,consent_source,consent_at
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party,application,2026-01-05T12:00:00Z
ACME-9000,Dana Whitfield,(555) 555-0101,80.00,12,80.00,20.00,USD,America/New_York,en,Northwind Card,us_first_party,application,2026-01-05T12:00:00Z
OTHER-1,Sam Other,(555) 555-0199,90.00,12,90.00,20.00,USD,America/New_York,en,Northwind Card,us_first_party,application,2026-01-05T12:00:00Z
"""
DANA = "+15555550101"
AGENT, ADMIN = "agent@x.test", "boss@x.test"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
#: Monday 2026-11-30 06:30 in New York: before the allowed hours (US-01), so a cadence step waits.
EARLY = dt.datetime(2026, 11, 30, 11, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def duly(db_url):
    with Duly(db_url, clock=Clock(EARLY)) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        add_user(d, AGENT, "agent")
        add_user(d, ADMIN, "admin")
        yield d


def _flash(r: httpx.Response) -> tuple[str | None, str | None]:
    assert r.status_code == 303, (r.status_code, r.text)
    params = httpx.URL(r.headers["location"]).params
    return params.get("ok"), params.get("err")


def _waiting_steps(duly: Duly) -> list[int]:
    """Plan the cadence before the allowed hours: the step of each of Dana's two
    accounts is stored and waits (US-01)."""
    plan(duly.services.sessions, duly.settings, duly.clock())
    with duly.services.sessions() as s:
        rows = s.execute(select(Message.id, Message.status, Message.kind).where(
            Message.to_number == DANA, Message.direction == "outbound").order_by(Message.id)).all()
    assert [(st, k) for _, st, k in rows] == [("deferred", "notice")] * 2, rows
    return [r.id for r in rows]


def _conv(duly: Duly) -> int:
    with duly.services.sessions() as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))


def test_US_17_agent_places_cease_hold_then_gate_refuses_own_reply_and_waiting_step(duly):
    steps = _waiting_steps(duly)
    cid = _conv(duly)
    agent, csrf = console_login(duly, AGENT)
    # any agent may place a hold, without owning the conversation: it only stops collection
    ok, err = _flash(agent.post(f"/console/c/{cid}/hold", data={
        "csrf_token": csrf, "kind": "cease", "target": "ACME-4417",
        "note": "Letter received 2026-11-27: stop all contact"}))
    assert err is None
    # both waiting steps go to Dana's number, which the account's cease covers (the gate
    # reads holds number-wide)
    assert ok == "cease hold placed (US-17): collection is paused; 2 waiting text(s) refused"
    with duly.services.sessions() as s:
        [hold] = s.scalars(select(Hold).where(Hold.cleared_at.is_(None))).all()
        assert (hold.kind, hold.rule, hold.source, hold.phone, hold.note) == (
            "cease", "US-17", f"agent:{AGENT}", None, "Letter received 2026-11-27: stop all contact")
        assert hold.account_id == s.scalar(select(Decision.account_id).where(Decision.verdict == "record",
                                                                             Decision.rule == "US-17"))
        placed = s.scalar(select(Decision).where(Decision.rule == "US-17", Decision.verdict == "record"))
        assert (placed.actor, placed.conversation_id, placed.detail["hold_id"]) == (f"agent:{AGENT}", cid, hold.id)
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "hold_placed"))
        assert (audit.actor, audit.conversation_id) == (AGENT, cid)
        assert audit.detail == {"hold_id": hold.id, "kind": "cease", "rule": "US-17", "account_ref": "ACME-4417",
                                "note": "Letter received 2026-11-27: stop all contact"}
        ev = s.scalar(select(Event).where(Event.kind == "hold.set"))
        assert ev.payload["kind"] == "cease" and ev.payload["rule"] == "US-17" and ev.payload["source"] == f"agent:{AGENT}"
        # the cadence steps that waited are refused with the hold's rule, not merely held back
        assert [s.get(Message, m).status for m in steps] == ["refused", "refused"]
        assert [s.scalar(select(Decision.rule).where(Decision.message_id == m, Decision.verdict == "refuse"))
                for m in steps] == ["US-17", "US-17"]

    # 10:00 New York: the customer writes, an agent takes over and answers; the agent's own
    # text passes the same gate, and is refused (US-17)
    duly.clock.advance(hours=3, minutes=30)
    duly.sms("I want to talk to a person")
    assert _flash(agent.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf}))[0]
    ok, err = _flash(agent.post(f"/console/c/{cid}/reply", data={"csrf_token": csrf, "body": "Can we set up a plan?"}))
    assert ok is None and "US-17" in err
    with duly.services.sessions() as s:
        mine = s.execute(select(Message.status).where(Message.sender == f"agent:{AGENT}")).scalars().all()
        assert mine == ["refused"]
    assert [t["to"] for t in duly.transport.sent if t["body"] == "Can we set up a plan?"] == []

    # GET /api/conversations shows it
    holds = duly.conversation(DANA)["holds"]
    assert holds == [{"kind": "cease", "rule": "US-17", "account_ref": "ACME-4417", "phone": None,
                      "since": holds[0]["since"], "source": f"agent:{AGENT}"}]
    assert dt.datetime.fromisoformat(holds[0]["since"]) == EARLY

    # an agent may not clear a silencing hold; the attempt is audited and changes nothing
    ok, err = _flash(agent.post(f"/console/c/{cid}/clear_hold", data={
        "csrf_token": csrf, "kind": "cease", "target": "ACME-4417", "note": "customer called, wants texts"}))
    assert ok is None and err.startswith("only an admin may clear a cease hold")
    page = agent.get(f"/console/c/{cid}").text
    assert "Only an admin may clear a cease hold." in page and 'data-testid="clear-hold-cease"' not in page
    with duly.services.sessions() as s:
        assert s.scalar(select(Hold.cleared_at)) is None
        refused = s.scalar(select(AuditEntry).where(AuditEntry.action == "hold_clear_refused"))
        assert (refused.actor, refused.detail["kind"], refused.detail["role"]) == (AGENT, "cease", "agent")

    # an admin may, with a note
    admin, acsrf = console_login(duly, ADMIN)
    assert 'data-testid="clear-hold-cease"' in admin.get(f"/console/c/{cid}").text
    ok, err = _flash(admin.post(f"/console/c/{cid}/clear_hold", data={
        "csrf_token": acsrf, "kind": "cease", "target": "ACME-4417", "note": " "}))
    assert err == "write a note: why the hold is placed or cleared"
    ok, err = _flash(admin.post(f"/console/c/{cid}/clear_hold", data={
        "csrf_token": acsrf, "kind": "cease", "target": "ACME-4417", "note": "Customer withdrew the cease in writing"}))
    assert (ok, err) == ("cease hold cleared (1)", None)
    with duly.services.sessions() as s:
        hold = s.scalar(select(Hold))
        assert (hold.cleared_at, hold.cleared_by) == (duly.clock(), f"agent:{ADMIN}")
        cleared = s.scalar(select(Decision).where(Decision.verdict == "clear"))
        assert (cleared.rule, cleared.actor, cleared.detail["hold_ids"]) == ("US-17", f"agent:{ADMIN}", [hold.id])
        assert [e.kind for e in s.scalars(select(Event).where(Event.kind.like("hold.%")).order_by(Event.id))] == [
            "hold.set", "hold.cleared"]
        # the steps refused at the hold stay refused after it is cleared
        assert [s.get(Message, m).status for m in steps] == ["refused", "refused"]
    assert duly.conversation(DANA)["holds"] == []


def test_place_hold_on_the_number_and_bad_input_is_a_flash_never_a_500(duly):
    duly.clock.advance(hours=3, minutes=30)
    duly.sms("hello")
    cid = _conv(duly)
    agent, csrf = console_login(duly, AGENT)
    for form, message in [
        ({"kind": "holiday", "target": "ACME-4417", "note": "x"}, "choose a kind of hold"),
        ({"kind": "recalled", "target": "ACME-4417", "note": "x"}, "choose a kind of hold"),
        ({"kind": "dispute", "target": "OTHER-1", "note": "x"}, "choose one of this number's accounts"),
        ({"kind": "dispute", "target": "", "note": "x"}, "choose one of this number's accounts"),
        ({"kind": "dispute", "target": "phone", "note": "   "}, "write a note"),
        ({"kind": "dispute", "target": "phone"}, "write a note"),
        ({"kind": "dispute", "target": "phone", "note": "y" * 1001}, "the note is longer than 1000"),
    ]:
        ok, err = _flash(agent.post(f"/console/c/{cid}/hold", data={"csrf_token": csrf, **form}))
        assert ok is None and err.startswith(message), (form, err)
    with duly.services.sessions() as s:
        assert s.scalars(select(Hold)).all() == []
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "hold_placed")) is None
    # without the CSRF token: refused before anything
    assert agent.post(f"/console/c/{cid}/hold", data={"kind": "dispute", "target": "phone",
                                                      "note": "x"}).status_code == 403

    # a dispute on the number alone (US-16): any agent places and clears it
    ok, _ = _flash(agent.post(f"/console/c/{cid}/hold", data={
        "csrf_token": csrf, "kind": "dispute", "target": "phone", "note": "says the card was stolen"}))
    assert ok == "dispute hold placed (US-16): collection is paused"
    ok, _ = _flash(agent.post(f"/console/c/{cid}/hold", data={
        "csrf_token": csrf, "kind": "dispute", "target": "phone", "note": "again"}))
    assert ok == "you already placed a dispute hold there (US-16)"
    holds = duly.conversation(DANA)["holds"]
    assert [(h["kind"], h["rule"], h["account_ref"], h["phone"]) for h in holds] == [("dispute", "US-16", None, DANA)]
    ok, err = _flash(agent.post(f"/console/c/{cid}/clear_hold", data={
        "csrf_token": csrf, "kind": "dispute", "target": "phone", "note": "police report: not hers; verified"}))
    assert (ok, err) == ("dispute hold cleared (1)", None)
    ok, err = _flash(agent.post(f"/console/c/{cid}/clear_hold", data={
        "csrf_token": csrf, "kind": "dispute", "target": "phone", "note": "again"}))
    assert err == "no active dispute hold there to clear"
    assert duly.conversation(DANA)["holds"] == []


def test_api_and_console_write_the_same_rows(duly):
    """POST /api/holds goes through runner/holds.py as the console does: hold, decision,
    audit entry, event, and the waiting text refused."""
    steps = _waiting_steps(duly)
    r = duly.http.post("/api/holds", json={"account_ref": "ACME-4417", "kind": "attorney",
                                           "note": "Represented by Lee & Co"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json() == {"hold_id": r.json()["hold_id"], "created": True, "kind": "attorney", "rule": "US-18"}
    assert duly.http.post("/api/holds", json={"account_ref": "ACME-4417", "kind": "cease", "note": 5},
                          headers=AUTH).json() == {"error": "invalid hold", "fields": {"note": "the note must be text"}}
    with duly.services.sessions() as s:
        hold = s.scalar(select(Hold))
        assert (hold.kind, hold.rule, hold.source, hold.note) == ("attorney", "US-18", "api", "Represented by Lee & Co")
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "hold_placed"))
        assert (audit.actor, audit.detail["kind"], audit.detail["account_ref"]) == ("api", "attorney", "ACME-4417")
        assert [s.get(Message, m).status for m in steps] == ["refused", "refused"]
        assert s.scalar(select(Decision.rule).where(Decision.message_id == steps[0],
                                                    Decision.verdict == "refuse")) == "US-18"
    # the customer's own dispute (an SMS-set hold, on the number and the account) shows too
    duly.clock.advance(hours=3, minutes=30)
    duly.sms("this is not my debt")
    holds = duly.conversation(DANA)["holds"]
    assert [(h["kind"], h["rule"], h["account_ref"], h["source"]) for h in holds][0] == (
        "attorney", "US-18", "ACME-4417", "api")
    assert {(h["kind"], h["rule"], h["source"]) for h in holds[1:]} == {("dispute", "US-16", "sms")}
    # cleared by the API: every hold of the kind on the account, whatever set it
    r = duly.http.post("/api/holds/clear", json={"account_ref": "ACME-4417", "kind": "attorney"}, headers=AUTH)
    assert r.json() == {"cleared": 1, "kind": "attorney"}
    with duly.services.sessions() as s:
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "hold_cleared"))
        assert (audit.actor, audit.detail["hold_ids"]) == ("api", [hold.id])
    assert "attorney" not in [h["kind"] for h in duly.conversation(DANA)["holds"]]
