"""The agent console in real chromium against the real server (uvicorn + SQLite + signed
Twilio webhooks): sign-in, the live inbox and thread (server-sent events + htmx), take over
→ reply (live gate check) → the bot's silence → hand back, canned replies, an opted-out
customer, XSS, sign-in redirects, CSRF, roles, and a session revoked elsewhere.

Webhooks are sent from the test thread (sync httpx to the live server) while the page is
open; nothing is ever reloaded to see them. The server's clock stays at Monday 10:00 New
York (agents on shift, sessions valid)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Conversation, Handoff, Message
from tests.live import Duly, add_user, replies_in
from tests.test_console_http import ACCOUNTS, DANA

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

#: The browser tests run on SQLite only (the HTTP tests cover PostgreSQL).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

AGENT, ADMIN = "agent@x.test", "boss@x.test"
PASSWORD = "correct horse battery"

#: Runs before the page's own scripts on every navigation: ``<html data-sse-ready>`` appears
#: once the console's event stream said "hello" (the server has subscribed and taken its
#: snapshot, so any later change is announced). A DOM flag, not ``wait_for_function``: the
#: console's CSP (no 'unsafe-eval') blocks Playwright's polled predicates.
SSE_PROBE = """
document.addEventListener("htmx:sseOpen", function (ev) {
  ev.detail.source.addEventListener("hello", function () {
    document.documentElement.setAttribute("data-sse-ready", "1");
  });
});
"""


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        add_user(d, AGENT, "agent")
        add_user(d, ADMIN, "admin")
        yield d


# --- helpers ---------------------------------------------------------------------------------

def login(page: Any, duly: Duly, email: str = AGENT, path: str = "/console/login") -> None:
    """Sign in through the real form (starting at ``path``)."""
    page.add_init_script(script=SSE_PROBE)
    page.goto(duly.server.url + path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.top .who")).to_contain_text(email)


def live(page: Any) -> None:
    """Wait until this page's event stream is connected and primed."""
    expect(page.locator("html[data-sse-ready]")).to_have_count(1)


def mark(page: Any) -> None:
    """Tag the document; :func:`not_reloaded` proves the page was never reloaded since."""
    page.evaluate("window.__sameDocument = 'yes'")


def not_reloaded(page: Any) -> None:
    assert page.evaluate("window.__sameDocument") == "yes", "the page was reloaded"


def conv_id(duly: Duly) -> int:
    with duly.services.sessions() as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))


def handoff(duly: Duly) -> int:
    """Dana asks for a person; returns the conversation id."""
    assert "<Message" in duly.sms("I want to talk to a person").text
    return conv_id(duly)


def open_conversation(page: Any, duly: Duly, cid: int) -> None:
    page.goto(f"{duly.server.url}/console/c/{cid}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(DANA)


def take_over(page: Any) -> None:
    page.get_by_test_id("take-over").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("you own this conversation")
    expect(page.get_by_test_id("mode")).to_have_text("agent")
    expect(page.get_by_test_id("reply-body")).to_be_visible()


def thread_bodies(page: Any) -> list[str]:
    return page.get_by_test_id("thread").get_by_test_id("body").all_inner_texts()


# --- 1. the whole loop, live -----------------------------------------------------------------------

def test_live_handoff_take_over_reply_silence_hand_back(duly, page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # (chromium's own /favicon.ico 404 is a console error too; failed loads are caught below)
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, duly)
    expect(page).to_have_url(re.compile(r"/console/inbox$"))
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    live(page)
    mark(page)

    # a signed webhook makes a handoff: it shows up in the open inbox without a reload
    assert "<Message" in duly.sms("I want to talk to a person").text
    rows = page.locator("#inbox-rows")
    expect(rows.get_by_test_id("inbox")).to_contain_text(DANA)
    expect(rows).to_contain_text("agent request")
    expect(rows).to_contain_text("I want to talk to a person")
    expect(page.get_by_test_id("badge")).to_contain_text("1 open")
    not_reloaded(page)
    cid = conv_id(duly)

    rows.get_by_role("link", name="Dana Whitfield · ACME-4417").click()
    expect(page).to_have_url(re.compile(rf"/console/c/{cid}$"))
    take_over(page)

    # the live check follows the typing: segment counter and verdict
    box = page.get_by_test_id("reply-body")
    check = page.get_by_test_id("check")
    box.press_sequentially("Hi")
    expect(page.get_by_test_id("segments")).to_contain_text("2 / 1 segment")
    expect(check).to_have_attribute("data-verdict", "send")
    box.press_sequentially(" Dana")
    expect(page.get_by_test_id("segments")).to_contain_text("7 / 1 segment")
    box.fill("x" * 161)
    expect(page.get_by_test_id("segments")).to_contain_text("161 / 2 segments")
    reply = "Hi Dana, this is Sam from Northwind."
    box.fill(reply)
    expect(page.get_by_test_id("segments")).to_contain_text(f"{len(reply)} / 1 segment · GSM-7")
    expect(check).to_have_attribute("data-verdict", "send")
    expect(page.get_by_test_id("verdict")).to_contain_text("Will send now")
    expect(page.get_by_test_id("send")).to_be_enabled()

    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("sent")
    with duly.services.sessions() as s:
        m = s.scalar(select(Message).where(Message.sender == f"agent:{AGENT}"))
        assert m is not None and m.body == reply and m.status == "sent" and m.direction == "outbound"
    agent_msg = page.get_by_test_id("thread").locator(f'article[data-message="{m.id}"]')
    expect(agent_msg).to_contain_text(reply)
    expect(agent_msg.locator(".who")).to_have_text(f"agent:{AGENT}")

    # the customer answers: the bot stays silent and the thread shows it live
    live(page)
    mark(page)
    answer = duly.sms("can I pay next week?")
    assert answer.status_code == 200 and answer.text.endswith("<Response/>"), answer.text
    expect(page.get_by_test_id("thread")).to_contain_text("can I pay next week?")
    not_reloaded(page)
    assert thread_bodies(page)[-1] == "can I pay next week?"

    # hand back; the customer texts "pay"; the bot's answer shows up live
    page.get_by_test_id("hand-back").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("handed back to the bot")
    expect(page.get_by_test_id("mode")).to_have_text("bot")
    expect(page.get_by_test_id("take-over")).to_be_visible()
    live(page)
    mark(page)
    twiml = duly.sms("pay").text
    bot = replies_in(twiml)
    assert bot and bot[0], twiml
    expect(page.get_by_test_id("thread")).to_contain_text(bot[0])
    not_reloaded(page)
    assert thread_bodies(page)[-2:] == ["pay", bot[0]]
    with duly.services.sessions() as s:
        assert s.scalar(select(Handoff.resolved_at).where(Handoff.conversation_id == cid)) is not None
    assert errors == []


# --- 2. XSS ---------------------------------------------------------------------------------------------

XSS_1 = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> I want to talk to a person'
XSS_2 = '<script>window.__xss=3</script><img src=x onerror="window.__xss=4">'


def test_customer_html_is_shown_as_text(duly, page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, duly)
    live(page)

    duly.sms(XSS_1)                                   # arrives while the inbox is open (htmx swap)
    rows = page.locator("#inbox-rows")
    expect(rows.locator("td.snippet")).to_have_text(XSS_1[:140])
    assert rows.locator("img, script").count() == 0
    cid = conv_id(duly)

    open_conversation(page, duly, cid)
    thread = page.get_by_test_id("thread")
    expect(thread).to_contain_text('<img src=x onerror="window.__xss=1">')
    live(page)
    duly.sms(XSS_2)                                   # arrives while the thread is open (htmx swap)
    expect(thread.get_by_test_id("body").last).to_have_text(XSS_2)
    assert page.locator("#live img, #live script").count() == 0

    page.reload()                                     # and the server-rendered page
    expect(page.get_by_test_id("thread").get_by_test_id("body").last).to_have_text(XSS_2)
    assert page.locator("main img, main script").count() == 0
    page.goto(duly.server.url + "/console/inbox")
    expect(page.locator("#inbox-rows td.snippet")).to_have_text(XSS_2)
    assert page.locator("main img, main script").count() == 0

    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


# --- 3. signed out ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/console/inbox", "/console/c/1", "/console/admin/users"])
def test_signed_out_browser_lands_on_sign_in(duly, page, path):
    page.goto(duly.server.url + path)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.locator("header.top")).to_have_count(0)
    assert page.locator('input[name="next"]').input_value() == path


def test_sign_in_returns_to_the_page_asked_for(duly, page):
    login(page, duly, ADMIN, path="/console/admin/users")
    expect(page).to_have_url(re.compile(r"/console/admin/users$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")


# --- 4. CSRF --------------------------------------------------------------------------------------------

def test_form_without_csrf_token_is_refused(duly, page):
    cid = handoff(duly)
    login(page, duly)
    open_conversation(page, duly, cid)
    page.evaluate("""() => document.querySelector('form[action$="/take_over"] input[name=csrf_token]').remove()""")
    with page.expect_response(lambda r: r.url.endswith(f"/console/c/{cid}/take_over")) as info:
        page.get_by_test_id("take-over").click()
    assert info.value.status == 403
    expect(page.locator("body")).to_contain_text("missing or invalid CSRF token")
    with duly.services.sessions() as s:
        conv = s.get(Conversation, cid)
        assert conv.assigned_agent is None
        assert s.scalar(select(Handoff.assigned_to).where(Handoff.conversation_id == cid)) is None
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.conversation_id == cid)).all() == []

    # nothing changed: the take-over button is still offered, and works with its token
    open_conversation(page, duly, cid)
    take_over(page)

    # htmx requests carry the token in a header: a wrong one is refused too, nothing swapped
    page.evaluate("""() => document.body.setAttribute("hx-headers", '{"X-CSRF-Token": "nope"}')""")
    before = page.get_by_test_id("segments").inner_text()
    with page.expect_response(lambda r: r.url.endswith(f"/console/c/{cid}/check")) as info:
        page.get_by_test_id("reply-body").fill("Hi Dana")
    assert info.value.status == 403
    expect(page.get_by_test_id("segments")).to_have_text(before)


# --- 5. roles -------------------------------------------------------------------------------------------

def test_agent_gets_403_admin_sees_users(duly, page, chromium_browser):
    login(page, duly, AGENT)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    resp = page.goto(duly.server.url + "/console/admin/users")
    assert resp.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for admins.")
    expect(page.locator("main table")).to_have_count(0)

    ctx = chromium_browser.new_context()
    try:
        admin = ctx.new_page()
        login(admin, duly, ADMIN)
        admin.get_by_role("link", name="Users").click()
        expect(admin).to_have_url(re.compile(r"/console/admin/users$"))
        expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
        table = admin.locator("main table")
        expect(table).to_contain_text(AGENT)
        expect(table).to_contain_text(ADMIN)
    finally:
        ctx.close()


# --- 6. canned replies ---------------------------------------------------------------------------------

def test_canned_reply_fills_the_box_and_rechecks(duly, page):
    cid = handoff(duly)
    login(page, duly)
    open_conversation(page, duly, cid)
    take_over(page)
    expect(page.get_by_test_id("segments")).to_contain_text("0 / 0 segments")
    expect(page.get_by_test_id("send")).to_be_disabled()           # nothing typed yet

    for title in ("payment options", "looking into it"):
        btn = page.get_by_role("button", name=title)
        text = btn.get_attribute("data-canned")
        assert text
        btn.click()
        expect(page.get_by_test_id("reply-body")).to_have_value(text)
        expect(page.get_by_test_id("reply-body")).to_be_focused()
        expect(page.get_by_test_id("segments")).to_contain_text(f"{len(text)} / 1 segment")
        expect(page.get_by_test_id("check")).to_have_attribute("data-verdict", "send")
        expect(page.get_by_test_id("send")).to_be_enabled()


# --- 7. an opted-out customer ----------------------------------------------------------------------------

def test_opted_out_customer_cannot_be_texted(duly, page):
    cid = handoff(duly)
    login(page, duly)
    open_conversation(page, duly, cid)
    take_over(page)
    expect(page.get_by_test_id("opt-out")).to_have_text("no")
    live(page)
    mark(page)
    duly.sms("STOP")
    expect(page.get_by_test_id("opt-out")).to_contain_text("opted out")     # live, no reload
    not_reloaded(page)

    page.get_by_test_id("reply-body").fill("Please call us")
    check = page.get_by_test_id("check")
    expect(check).to_have_attribute("data-verdict", "refuse")
    expect(page.get_by_test_id("verdict")).to_contain_text("Refused")
    expect(page.get_by_test_id("verdict")).to_contain_text("US-05")
    expect(page.get_by_test_id("send")).to_be_disabled()
    with duly.services.sessions() as s:
        assert s.scalar(select(Message.id).where(Message.sender == f"agent:{AGENT}")) is None


# --- 8. a session that ends while the page is open ----------------------------------------------------

def test_expired_session_goes_to_sign_in_by_itself(duly, page, monkeypatch):
    """The stream re-checks the session every 10th wake-up and sends ``signed-out``; the
    page must then go to the sign-in page by itself. Nothing else happens meanwhile (no
    database change, so no ``inbox`` event and no htmx request that could see a 401)."""
    monkeypatch.setattr("console.app.POLL_SECONDS", 0.05)    # wake-ups every 50 ms
    login(page, duly, AGENT)
    live(page)
    duly.clock.advance(hours=13)                               # past the 12 h session TTL
    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


# --- 9. holds from the console ------------------------------------------------------------------------

def test_agent_places_cease_hold_and_only_admin_clears_it(duly, page, chromium_browser):
    """US-17: an agent places a cease hold with a note; the reply box's gate check then
    refuses the agent's own text; the agent cannot clear it, an admin can (with a note)."""
    cid = handoff(duly)
    login(page, duly)
    open_conversation(page, duly, cid)
    take_over(page)
    holds = page.get_by_test_id("holds")
    expect(holds).to_contain_text("No active hold.")
    page.get_by_test_id("hold-kind").select_option("cease")
    page.get_by_test_id("hold-target").select_option("ACME-4417")
    page.get_by_test_id("place-hold").click()          # the note is required: the browser stops it
    expect(page.get_by_test_id("flash-ok")).to_contain_text("you own this conversation")
    page.get_by_test_id("hold-note").fill("Customer's letter: stop all contact")
    page.get_by_test_id("place-hold").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("cease hold placed (US-17): collection is paused")
    hold = holds.get_by_test_id("hold")
    expect(hold).to_have_attribute("data-kind", "cease")
    expect(hold).to_contain_text("US-17")
    expect(hold).to_contain_text("Customer's letter: stop all contact")
    expect(hold.get_by_test_id("clear-admin-only")).to_have_text("Only an admin may clear a cease hold.")

    page.get_by_test_id("reply-body").fill("Can we talk about a plan?")
    expect(page.get_by_test_id("check")).to_have_attribute("data-verdict", "refuse")
    expect(page.get_by_test_id("verdict")).to_contain_text("US-17")
    expect(page.get_by_test_id("send")).to_be_disabled()

    context = chromium_browser.new_context()
    try:
        admin = context.new_page()
        admin.set_default_timeout(10_000)
        login(admin, duly, ADMIN)
        open_conversation(admin, duly, cid)
        admin.get_by_test_id("clear-note-cease").fill("Customer withdrew the cease in writing")
        admin.get_by_test_id("clear-hold-cease").click()
        expect(admin.get_by_test_id("flash-ok")).to_have_text("cease hold cleared (1)")
        expect(admin.get_by_test_id("holds")).to_contain_text("No active hold.")
    finally:
        context.close()
    with duly.services.sessions() as s:
        assert [(e.actor, e.action) for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("hold_%")).order_by(AuditEntry.id))] == [
            (AGENT, "hold_placed"), (ADMIN, "hold_cleared")]
