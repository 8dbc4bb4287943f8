"""Script editing in real chromium against the real server (uvicorn + SQLite + signed Twilio
webhooks): an admin edits a template, sees a validation error, fixes it, a second admin
approves and publishes; a new conversation uses the new text while one already in progress
finishes on its revision; rollback restores the old text. Plus the TOML editor's live
validation (htmx, no reload) and the simulator (nothing stored).

The same flow over plain HTTP is ``tests/test_console_scripts.py``; here every step goes
through the pages' own links, forms and buttons."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Conversation, Message, ScriptRevision
from tests.live import Duly, add_user, replies_in
from tests.test_console_scripts import NEW_HELP, TWO

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

#: The browser tests run on SQLite only (the HTTP tests cover PostgreSQL).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

ANN, BOB = "ann@x.test", "bob@x.test"
PASSWORD = "correct horse battery"
DANA, SAM = "+15555550101", "+15555550105"
NEW_HELP_ZH = "回复“还款”还款，回复“分期”分期，回复“人工”转人工。回复“退订”停止接收短信。"


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(TWO).errors == []
        add_user(d, ANN, "admin")
        add_user(d, BOB, "admin")
        yield d


# --- helpers ---------------------------------------------------------------------------------

def login(page: Any, duly: Duly, email: str) -> None:
    """Sign in through the real form."""
    page.goto(duly.server.url + "/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header.top .who")).to_contain_text(email)


def watch_errors(page: Any) -> list[str]:
    """Collects script errors, CSP violations and failed requests (4xx/5xx) of ``page``;
    the template form's 400 (a refused edit) is expected and left out."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not (r.status == 400 and "/template/" in r.url) else None)
    return errors


def mark(page: Any) -> None:
    """Tag the document; :func:`not_reloaded` proves the page was never reloaded since."""
    page.evaluate("window.__sameDocument = 'yes'")


def not_reloaded(page: Any) -> None:
    assert page.evaluate("window.__sameDocument") == "yes", "the page was reloaded"


def pinned(duly: Duly, phone: str) -> int | None:
    """The script revision number ``phone``'s conversation is pinned to."""
    with duly.services.sessions() as s:
        return s.scalar(select(ScriptRevision.revision)
                        .join(Conversation, Conversation.script_revision_id == ScriptRevision.id)
                        .where(Conversation.customer_phone == phone))


def help_line(duly: Duly) -> int:
    """The line of ``[templates.help]`` in revision 1's TOML (its ``en`` is the next line)."""
    with duly.services.sessions() as s:
        body = s.scalar(select(ScriptRevision.body).where(ScriptRevision.revision == 1))
    return body.splitlines().index("[templates.help]") + 1


def revision_statuses(page: Any) -> dict[str, str]:
    """``{revision: status}`` as the revisions table shows it."""
    out = {}
    for row in page.get_by_test_id("revisions").locator("tbody tr").all():
        out[row.get_attribute("data-revision")] = row.locator(".badge").inner_text()
    return out


# --- 1–3. edit → error → fix → four eyes → publish → pinned conversations → rollback ----------

def test_edit_template_approve_publish_pin_and_rollback(duly, page, chromium_browser):
    asked: list[str] = []

    def accept(dialog) -> None:          # publish and roll back ask first (data-confirm)
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    errors = watch_errors(page)
    # Sam's old "help" answer, then Sam is mid-promise on revision 1 (the bot asks for a date)
    old_help = replies_in(duly.sms("help", frm=SAM).text)
    assert old_help and old_help != [NEW_HELP]
    assert replies_in(duly.sms("I can pay 50", frm=SAM).text)
    assert pinned(duly, SAM) == 1

    # ann: revisions → revision 1 → Edit `help`
    login(page, duly, ANN)
    page.get_by_role("link", name="Scripts").click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts$"))
    assert revision_statuses(page) == {"1": "published"}
    page.get_by_test_id("revisions").get_by_role("link", name="1", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/1$"))
    expect(page.get_by_test_id("status")).to_have_text("published")
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    page.get_by_test_id("edit-help").click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/1/template/help$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("help")
    en, zh = page.get_by_test_id("text-en"), page.get_by_test_id("text-zh")
    expect(en).to_have_value(re.compile(r"Reply STOP to opt out\."))
    expect(zh).not_to_have_value("")

    # a broken text: the validator's message with its line; nothing saved
    en.fill("Hi {{ nmae }}")
    page.get_by_test_id("save-template").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text(f"line {help_line(duly) + 1}: templates.help.en: unknown placeholder")
    expect(problems).to_contain_text("nmae")
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/1/template/help$"))
    expect(page.get_by_test_id("text-en")).to_have_value("Hi {{ nmae }}")     # kept for fixing
    with duly.services.sessions() as s:
        assert s.scalars(select(ScriptRevision.revision)).all() == [1]

    # fixed: saved as draft revision 2, shown with its preview and diff
    page.get_by_test_id("text-en").fill(NEW_HELP)
    page.get_by_test_id("text-zh").fill(NEW_HELP_ZH)
    page.get_by_test_id("save-template").click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/2\?"))
    expect(page.get_by_test_id("flash-ok")).to_have_text("saved as draft revision 2")
    expect(page.get_by_test_id("status")).to_have_text("draft")
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    expect(page.locator('[data-testid=preview] tr[data-template="help"][data-lang="en"] td.body')) \
        .to_have_text(NEW_HELP)
    expect(page.get_by_test_id("diff")).to_contain_text(NEW_HELP)

    # submit; ann cannot approve her own change (four eyes)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("flash-ok")).to_have_text("revision 2 submitted for approval")
    expect(page.get_by_test_id("status")).to_have_text("submitted")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("flash-err")).to_contain_text("a second admin")
    expect(page.get_by_test_id("status")).to_have_text("submitted")
    expect(page.get_by_test_id("publish")).to_have_count(0)

    # bob approves and publishes
    ctx = chromium_browser.new_context()
    try:
        bob = ctx.new_page()
        bob.on("dialog", accept)
        bob_errors = watch_errors(bob)
        login(bob, duly, BOB)
        bob.goto(duly.server.url + "/console/admin/scripts")
        assert revision_statuses(bob) == {"2": "submitted", "1": "published"}
        bob.get_by_test_id("revisions").get_by_role("link", name="2", exact=True).click()
        expect(bob.get_by_test_id("status")).to_have_text("submitted")
        bob.get_by_test_id("approve").click()
        expect(bob.get_by_test_id("flash-ok")).to_have_text("revision 2 approved")
        expect(bob.get_by_test_id("status")).to_have_text("approved")
        bob.get_by_test_id("publish").click()
        expect(bob.get_by_test_id("flash-ok")).to_contain_text("revision 2 published")
        expect(bob.get_by_test_id("status")).to_have_text("published")
        assert bob_errors == []
    finally:
        ctx.close()

    # a new conversation uses the new text
    assert replies_in(duly.sms("help", frm=DANA).text) == [NEW_HELP]
    assert pinned(duly, DANA) == 2
    # Sam's conversation under way finishes on revision 1 ...
    friday = replies_in(duly.sms("friday", frm=SAM).text)
    assert friday and NEW_HELP not in friday
    assert pinned(duly, SAM) == 1
    assert replies_in(duly.sms("yes", frm=SAM).text)
    # ... and moves over once it is at rest
    assert replies_in(duly.sms("help", frm=SAM).text) == [NEW_HELP]
    assert pinned(duly, SAM) == 2

    # ann rolls back to revision 1 from its page
    page.goto(duly.server.url + "/console/admin/scripts/1")
    expect(page.get_by_test_id("status")).to_have_text("retired")
    page.get_by_test_id("rollback").click()
    expect(page.get_by_test_id("flash-ok")).to_contain_text("rolled back")
    expect(page.get_by_test_id("status")).to_have_text("published")
    assert replies_in(duly.sms("help", frm=DANA).text) == old_help
    page.get_by_role("link", name="Scripts").click()
    expect(page.get_by_test_id("revisions")).to_be_visible()
    assert revision_statuses(page) == {"2": "retired", "1": "published"}
    assert asked == ["Publish revision 2? New conversations will use it.", "Publish revision 1 again?"]
    assert errors == []


# --- 4. the TOML editor validates while typing ----------------------------------------------

def test_toml_editor_validates_live(duly, page):
    errors = watch_errors(page)
    login(page, duly, ANN)
    page.goto(duly.server.url + "/console/admin/scripts/1")
    page.get_by_role("link", name="Edit a copy as TOML").click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/new\?from=1$"))
    box = page.get_by_test_id("script-body")
    original = box.input_value()
    assert "[templates.help]" in original
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    mark(page)

    # delete the `[templates.help]` line: its keys now repeat the table above → problems
    broken = original.replace("[templates.help]\n", "", 1)
    with page.expect_response(lambda r: r.url.endswith("/console/admin/scripts/validate")) as info:
        box.fill(broken)
    assert info.value.status == 200
    problems = page.get_by_test_id("problems")
    expect(problems).to_be_visible()
    # the repeated `en` key now sits where the header was
    expect(problems).to_contain_text(f"line {help_line(duly)}: TOML syntax")
    expect(page.get_by_test_id("no-problems")).to_have_count(0)
    not_reloaded(page)

    # put it back: "No problems." again, still the same document
    with page.expect_response(lambda r: r.url.endswith("/console/admin/scripts/validate")):
        box.fill(original)
    expect(page.get_by_test_id("no-problems")).to_have_text("No problems.")
    expect(page.get_by_test_id("problems")).to_have_count(0)
    not_reloaded(page)
    with duly.services.sessions() as s:
        assert s.scalars(select(ScriptRevision.revision)).all() == [1]     # nothing saved
    assert errors == []


# --- 5. the simulator ------------------------------------------------------------------------

def test_simulator_shows_intent_and_state_and_stores_nothing(duly, page):
    errors = watch_errors(page)
    login(page, duly, ANN)
    page.goto(duly.server.url + "/console/admin/scripts/1")
    page.get_by_test_id("simulate").click()
    expect(page).to_have_url(re.compile(r"/console/admin/scripts/1/simulate$"))
    page.get_by_label("Sample account").select_option("us")
    page.get_by_test_id("sim-text").fill("I can pay 50 on friday")
    page.get_by_test_id("sim-send").click()
    steps = page.get_by_test_id("sim-steps")
    row = steps.locator("tbody tr", has_text="I can pay 50 on friday")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(1)).to_contain_text(re.compile(r"^promise \d\.\d\d$"))   # intent, confidence
    expect(cells.nth(2)).to_contain_text('"amount": "50.00"')                   # entities
    expect(cells.nth(3)).to_have_text("promise_confirm")                        # state
    expect(cells.nth(4)).to_contain_text("You'll pay $50.00 on Fri Dec 4.")    # the bot's answer
    # the opening (the notice to the US sample, Dana) comes first
    expect(steps.locator("tbody tr").first).to_contain_text("Dana Whitfield")
    expect(page.get_by_label("Sample account")).to_have_value("us")
    with duly.services.sessions() as s:
        assert s.scalar(select(Message.id).where(Message.body == "I can pay 50 on friday")) is None
        assert s.scalar(select(Conversation.id)) is None
    assert errors == []
