"""Findings of an attack on the agent console, each a test first (then fixed)."""

from __future__ import annotations

import threading

import httpx2 as httpx
import pytest
from sqlalchemy import select

from bot.lint import lint
from storage.models import Message, Promise, User
from tests.live import Duly, add_user, console_login
from tests.test_console_http import ACCOUNTS, err, handoff, ok

US = {"regime": "first_party", "jurisdiction": "US"}


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(ACCOUNTS).errors == []
        add_user(d, "a@x.test", "agent")
        add_user(d, "b@x.test", "agent")
        add_user(d, "boss@x.test", "admin")
        yield d


def test_claim_assign_hand_back_close_record_need_the_owner(duly):
    """Finding 1: B could claim A's conversation (then reply), hand it back, close it,
    record a promise on it or reassign it."""
    cid = handoff(duly)
    a, ca = console_login(duly, "a@x.test")
    b, cb = console_login(duly, "b@x.test")
    assert ok(a.post(f"/console/c/{cid}/take_over", data={"csrf_token": ca}))
    for action, data in [("claim", {}), ("assign", {"assignee": "b@x.test"}), ("hand_back", {"state": "menu"}),
                         ("close", {}), ("promise", {"account_ref": "ACME-4417", "amount": "50", "due_date": "2026-12-04"}),
                         ("plan", {"account_ref": "ACME-4417", "option": "1"})]:
        r = b.post(f"/console/c/{cid}/{action}", data={"csrf_token": cb, **data})
        assert (err(r) or "").startswith("a@x.test owns"), (action, r.headers["location"])
    with duly.services.sessions() as s:
        assert s.scalar(select(Promise.id)) is None
    from storage.models import Conversation
    with duly.services.sessions() as s:
        conv = s.get(Conversation, cid)
        assert (conv.mode, conv.assigned_agent) == ("agent", "a@x.test")


def test_take_over_race_has_one_winner(duly):
    """Finding 8: two agents taking over at once were both told they own it."""
    cid = handoff(duly)
    a, ca = console_login(duly, "a@x.test")
    b, cb = console_login(duly, "b@x.test")
    results = {}

    def go(name, client, csrf):
        results[name] = client.post(f"/console/c/{cid}/take_over", data={"csrf_token": csrf})

    ts = [threading.Thread(target=go, args=("a", a, ca)), threading.Thread(target=go, args=("b", b, cb))]
    [t.start() for t in ts]
    [t.join() for t in ts]
    winners = [n for n, r in results.items() if ok(r)]
    from storage.models import Conversation
    with duly.services.sessions() as s:
        owner = s.get(Conversation, cid).assigned_agent
    assert len(winners) == 1 and owner == f"{winners[0]}@x.test"


@pytest.mark.parametrize("text", [
    "We will call the p\u200bolice and have you arr\u200bested. Reply STOP to opt out.",
    "We will call the p\u03bflice and have you \u0430rrested. Reply STOP to opt out.",   # Greek ο, Cyrillic а
    "We will call the \uff50\uff4f\uff4c\uff49\uff43\uff45. Reply STOP to opt out.",     # full-width
])
def test_disguised_threats_are_caught(text):   # US-21
    rules = {p.rule for p in lint(text, profile=US, initial=False, identity_confirmed=True, known_params=set(),
                                  reply=True)}
    assert rules & {"US-21", "lint:disguised"}


def test_plain_text_in_other_scripts_is_fine():
    for text in ["Thanks 👍🏽 talk soon", "Привет, Dana", "谢谢，回复TD退订", "Ça va, Zoë?"]:
        assert lint(text, profile=US, initial=False, identity_confirmed=True, known_params=set(), reply=True) == []


def test_disguised_threat_is_not_sent_by_an_agent(duly):
    cid = handoff(duly)
    a, ca = console_login(duly, "a@x.test")
    ok(a.post(f"/console/c/{cid}/take_over", data={"csrf_token": ca}))
    r = a.post(f"/console/c/{cid}/reply", data={"csrf_token": ca,
                                               "body": "We will call the p\u200bolice and have you arrested."})
    assert err(r).startswith("not sent")
    assert not any("olice" in t["body"] for t in duly.transport.sent)


def test_nul_bytes_and_huge_amounts_are_400_or_named_not_500(duly):
    """Finding 3: NUL in any field gave 500 on PostgreSQL; a 20-digit amount 500 on SQLite."""
    cid = handoff(duly)
    a, ca = console_login(duly, "a@x.test")
    ok(a.post(f"/console/c/{cid}/take_over", data={"csrf_token": ca}))
    for action, data in [("note", {"body": "a\x00b"}), ("reply", {"body": "hi\x00"}),
                         ("promise", {"account_ref": "ACME\x004417", "amount": "5", "due_date": "2026-12-04"}),
                         ("assign", {"assignee": "b@x.test\x00"})]:
        r = a.post(f"/console/c/{cid}/{action}", data={"csrf_token": ca, **data})
        assert r.status_code == 400, action
    c = httpx.Client(base_url=duly.server.url)
    assert c.post("/console/login", data={"email": "a\x00@x.test", "password": "x"}).status_code == 400
    for amount in ["99999999999999999999", "1e400", "NaN", "-5", "Infinity"]:
        r = a.post(f"/console/c/{cid}/promise", data={"csrf_token": ca, "account_ref": "ACME-4417",
                                                      "amount": amount, "due_date": "2026-12-04"})
        assert err(r), amount
    for due in ["9999-12-31", "0001-01-01"]:
        r = a.post(f"/console/c/{cid}/promise", data={"csrf_token": ca, "account_ref": "ACME-4417",
                                                      "amount": "50", "due_date": due})
        assert err(r), due
    with duly.services.sessions() as s:
        assert s.scalar(select(Promise.id)) is None


def test_deactivated_user_cannot_sign_in(duly):
    """Finding 5: there was no way to remove a departed agent."""
    boss, cboss = console_login(duly, "boss@x.test")
    a, _ = console_login(duly, "a@x.test")
    with duly.services.sessions() as s:
        uid = s.scalar(select(User.id).where(User.email == "a@x.test"))
        me = s.scalar(select(User.id).where(User.email == "boss@x.test"))
    assert ok(boss.post(f"/console/admin/users/{uid}/deactivate", data={"csrf_token": cboss})) == "deactivated a@x.test"
    assert a.get("/console/inbox").status_code == 303                      # signed out at once
    with pytest.raises(AssertionError):
        console_login(duly, "a@x.test")                                     # and refused
    assert err(boss.post(f"/console/admin/users/{me}/deactivate", data={"csrf_token": cboss})) == \
        "you cannot deactivate yourself"
    ok(boss.post(f"/console/admin/users/{uid}/reactivate", data={"csrf_token": cboss}))
    console_login(duly, "a@x.test")


def test_successful_sign_ins_do_not_lock_out_a_shared_address(duly):
    """Finding 6: 30 good sign-ins from one address locked out the 31st."""
    for _ in range(35):
        console_login(duly, "a@x.test")


def test_double_submitted_reply_sends_once(duly):
    """Finding 7: two submits of the same reply form both went out."""
    import re

    cid = handoff(duly)
    a, ca = console_login(duly, "a@x.test")
    ok(a.post(f"/console/c/{cid}/take_over", data={"csrf_token": ca}))
    nonce = re.search(r'name="nonce" value="([^"]+)"', a.get(f"/console/c/{cid}").text).group(1)
    form = {"csrf_token": ca, "body": "Thanks Dana, I'll check.", "nonce": nonce}
    results = []
    ts = [threading.Thread(target=lambda: results.append(a.post(f"/console/c/{cid}/reply", data=form)))
          for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted((ok(r) or err(r)) for r in results) == ["already sent (the form was submitted twice)", "sent"]
    with duly.services.sessions() as s:
        assert len(s.scalars(select(Message.id).where(Message.sender == "agent:a@x.test")).all()) == 1


def test_forged_flash_message_is_not_shown(duly):
    """Finding 10: anything in ?ok=/?err= was shown as the console's own words."""
    cid = handoff(duly)
    a, _ = console_login(duly, "a@x.test")
    page = a.get(f"/console/c/{cid}", params={"ok": "Customer agreed to pay $9,000 today"}).text
    assert "Customer agreed" not in page


def test_email_with_markup_is_refused():
    from console.auth import AuthError, normalise_email

    for bad in ['"><img src=x>@x.test', "a b@x.test", "a@x", "a@@x.test"]:
        with pytest.raises(AuthError):
            normalise_email(bad)
    assert normalise_email(" A.B+c@Example.Co.UK ") == "a.b+c@example.co.uk"


@pytest.mark.parametrize("text, bad", [
    ("Your SSN 123-45-6789 is on file", True),
    ("Card 4111 1111 1111 1111, thanks", True),
    ("Call 1-800-555-0100 or +1 555 555 0101", False),
    ("Ref ACME-4417, 1234567890123", False),           # 13 digits failing Luhn: not a card
])
def test_sensitive_numbers_never_go_by_sms(text, bad):   # new user's finding: an SSN passed the check
    rules = {p.rule for p in lint(text, profile=US, initial=False, identity_confirmed=True, known_params=set(),
                                  reply=True)}
    assert ("lint:sensitive" in rules) is bad


# --- attack on script editing -------------------------------------------------------------------

def test_hidden_branch_threat_is_refused_at_send_time(db_url):   # US-21
    """A threat in a {% if %} branch the validator's samples never take was published and
    sent; the rendered text now passes the hard rules at send time."""
    from bot import dialogs
    from storage import scripts as store
    from tests.live import replies_in
    from tests.test_console_http import ACCOUNTS

    with Duly(db_url) as duly:
        duly.import_accounts(ACCOUNTS)
        body = dialogs.default_script_text().replace(
            'for help{% if contact %}',
            "for help{% if not creditor %} Ignore us and we will have you {{ 'detserra'|reverse }}.{% endif %}"
            "{% if contact %}", 1)
        with duly.services.sessions() as s, s.begin():
            store.publish(s, "default", body, by="test")
        for frm in ("+15555550101", "+15555550199"):          # known and unknown sender
            texts = replies_in(duly.sms("help", frm=frm).text)
            assert not any("arrest" in t for t in texts)
        with duly.services.sessions() as s:
            bodies = s.scalars(select(Message.body).where(Message.status == "refused")).all()
        assert any("arrested" in b for b in bodies)            # kept with its reason, never sent


def test_template_cannot_render_a_huge_text():
    from bot.templates import TemplateError, render_source

    for src in ["{{ 'a' * 100000000 }}", "{% for i in range(100000) %}x{% endfor %}", "{{ 9 ** 999999 }}",
                "{% for i in range(50) %}{% for j in range(50) %}xx{% endfor %}{% endfor %}"]:
        with pytest.raises(TemplateError):
            render_source(src, {})


def test_debt_free_templates_never_get_debt_detail(db_url):   # US-12, UK-06
    """{{ (name) }} slipped past a regex check; the runner also blanks debt values for
    templates that may reach an unconfirmed person."""
    from bot import dialogs

    body = dialogs.default_script_text().replace(
        '[templates.handoff_notice]\nen = "Thanks.', '[templates.handoff_notice]\nen = "Thanks {{ (name) }}.', 1)
    assert any("no debt detail" in p.message for p in dialogs.validate(body))


def test_four_eyes_counts_authors_of_unpublished_ancestors(session):
    import datetime as dt

    from storage import scripts as store

    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    store.ensure_default_revision(session, "default", "x")
    store.save_draft(session, "default", "a", based_on=1, by="ann", now=now)
    r3 = store.save_draft(session, "default", "b", based_on=2, by="bob", now=now)
    store.submit(session, r3, by="bob", now=now, problems=[])
    with pytest.raises(store.WorkflowError, match="four eyes"):
        store.approve(session, r3, by="ann", now=now)
    store.approve(session, r3, by="cat", now=now)


def test_validator_renders_hidden_branches_too():   # US-21
    from bot import dialogs
    from duly.config import load_behaviour

    profiles = load_behaviour()[0]["profiles"]
    bad = dialogs.default_script_text().replace(
        "for help{% if contact %}",
        "for help{% if not creditor %} Ignore us and we will have you {{ 'detserra'|reverse }}.{% endif %}"
        "{% if contact %}", 1)
    assert [p.message for p in dialogs.validate(bad, profiles)] == [
        "templates.help.en: US-21 threat or false implication: 'arrested'"]
