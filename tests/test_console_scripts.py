"""Admins edit dialog scripts over real HTTP: draft, validation, four-eyes approval,
publish, pinned conversations, rollback, stale saves, simulator."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from sqlalchemy import select

from storage.models import AuditEntry, ScriptRevision
from tests.live import Duly, add_user, console_login, replies_in
from tests.test_console_http import ACCOUNTS, err, ok

TWO = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
ACME-5001,Sam Ortiz,(555) 555-0105,800.00,9,200.00,50.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
NEW_HELP = "Reply PAY to pay, PLAN for a payment plan, or AGENT for a person. Reply STOP to opt out."


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        assert d.import_accounts(TWO).errors == []
        add_user(d, "ann@x.test", "admin")
        add_user(d, "bob@x.test", "admin")
        add_user(d, "agent@x.test", "agent")
        yield d


def edit_template(client, csrf, rev: int, key: str, en: str, zh: str):
    return client.post(f"/console/admin/scripts/{rev}/template/{key}",
                       data={"csrf_token": csrf, "text_en": en, "text_zh": zh})


def test_edit_approve_publish_pin_and_rollback(duly):
    ann, ca = console_login(duly, "ann@x.test")
    bob, cb = console_login(duly, "bob@x.test")
    old_help = duly.sms("help", frm="+15555550105").text
    # Sam is mid-promise on revision 1 (asked for a date) when revision 2 is published
    duly.sms("I can pay 50", frm="+15555550105")
    page = ann.get("/console/admin/scripts/1/template/help")
    assert page.status_code == 200 and "help" in page.text
    # a broken edit is refused with the validator's message and line
    r = edit_template(ann, ca, 1, "help", "Hi {{ nmae }}", "帮助")
    assert r.status_code == 400 and "unknown placeholder" in r.text and "line" in r.text
    r = edit_template(ann, ca, 1, "help", NEW_HELP, "回复“还款”还款，回复“分期”分期，回复“人工”转人工。回复“退订”停止接收短信。")
    assert ok(r) == "saved as draft revision 2"
    assert ok(ann.post("/console/admin/scripts/2/submit", data={"csrf_token": ca})) == "revision 2 submitted for approval"
    assert err(ann.post("/console/admin/scripts/2/approve", data={"csrf_token": ca})).startswith("a second admin")
    assert ok(bob.post("/console/admin/scripts/2/approve", data={"csrf_token": cb})) == "revision 2 approved"
    assert ok(bob.post("/console/admin/scripts/2/publish", data={"csrf_token": cb})).startswith("revision 2 published")
    # a new conversation uses the new text
    assert replies_in(duly.sms("help").text) == [NEW_HELP]
    # the conversation under way finishes on revision 1 ...
    assert "Reply PAY to pay, PLAN" not in duly.sms("friday", frm="+15555550105").text
    # ... and moves over once it is at rest
    duly.sms("yes", frm="+15555550105")
    assert replies_in(duly.sms("help", frm="+15555550105").text) == [NEW_HELP]
    # roll back to revision 1: the old text again
    assert ok(ann.post("/console/admin/scripts/1/rollback", data={"csrf_token": ca})).startswith("rolled back")
    assert replies_in(duly.sms("help").text) == replies_in(old_help) != [NEW_HELP]
    with duly.services.sessions() as s:
        statuses = dict(s.execute(select(ScriptRevision.revision, ScriptRevision.status)).all())
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("script_%"))
                            .order_by(AuditEntry.id)).all()
    assert statuses == {1: "published", 2: "retired"}
    assert actions == ["script_saved", "script_submitted", "script_approved", "script_published", "script_rolled_back"]


def test_stale_save_names_who_saved_the_newer_revision(duly):
    ann, ca = console_login(duly, "ann@x.test")
    bob, cb = console_login(duly, "bob@x.test")
    body = ann.get("/console/admin/scripts/new", params={"from": "1"})
    text = re.search(r'data-testid="script-body"[^>]*>(.*?)</textarea>', body.text, re.S).group(1)
    import html

    text = html.unescape(text)
    assert ok(bob.post("/console/admin/scripts", data={"csrf_token": cb, "based_on": "1", "body": text, "note": "bob"}))
    r = ann.post("/console/admin/scripts", data={"csrf_token": ca, "based_on": "1", "body": text, "note": "ann"})
    assert r.status_code == 409 and "revision 2 was saved by bob@x.test" in r.text


def test_validate_endpoint_and_simulator(duly):
    ann, ca = console_login(duly, "ann@x.test")
    r = ann.post("/console/admin/scripts/validate", data={"body": "[script]\nname = 'x'\n"},
                 headers={"X-CSRF-Token": ca})
    assert r.status_code == 200 and "problem" in r.text
    r = ann.post("/console/admin/scripts/1/simulate", data={"csrf_token": ca, "sample": "us", "history": "[]",
                                                            "text": "I can pay 50 on friday"})
    assert r.status_code == 200 and "promise" in r.text and "Dana Whitfield" in r.text
    with duly.services.sessions() as s:
        from storage.models import Message
        assert s.scalar(select(Message.id).where(Message.body == "I can pay 50 on friday")) is None


def test_agents_cannot_edit_scripts(duly):
    agent, csrf = console_login(duly, "agent@x.test")
    assert agent.get("/console/admin/scripts").status_code == 403
    assert agent.post("/console/admin/scripts/1/rollback", data={"csrf_token": csrf}).status_code == 403


def test_state_form_changes_a_reply_and_keeps_the_rest(duly):
    ann, ca = console_login(duly, "ann@x.test")
    page = ann.get("/console/admin/scripts/1/state/plan_confirm")
    assert page.status_code == 200 and "say_deny" in page.text and "say_affirm" in page.text
    # a form that names only one intent changes only that one
    r = ann.post("/console/admin/scripts/1/state/plan_confirm", data={"csrf_token": ca, "say_deny": "help"})
    assert ok(r) == "saved as draft revision 2"
    with duly.services.sessions() as s:
        body2 = s.scalar(select(ScriptRevision.body).where(ScriptRevision.revision == 2))
        body1 = s.scalar(select(ScriptRevision.body).where(ScriptRevision.revision == 1))
    from bot import dialogs

    s1, s2 = dialogs.load_script(body1), dialogs.load_script(body2)
    assert s2.states["plan_confirm"].on["deny"].ok.say == "help"
    assert s2.states["plan_confirm"].on["deny"].ok.goto == s1.states["plan_confirm"].on["deny"].ok.goto
    assert {k: v for k, v in s1.states["plan_confirm"].on.items() if k != "deny"} == \
        {k: v for k, v in s2.states["plan_confirm"].on.items() if k != "deny"}
    assert len(body2.splitlines()) == len(body1.splitlines())      # comments and layout kept


def test_send_back_and_campaign_uses_admin_settings(duly):
    ann, ca = console_login(duly, "ann@x.test")
    bob, cb = console_login(duly, "bob@x.test")
    r = edit_template(ann, ca, 1, "help", NEW_HELP, "回复“退订”停止接收短信。")
    assert ok(r) == "saved as draft revision 2"
    ok(ann.post("/console/admin/scripts/2/submit", data={"csrf_token": ca}))
    assert ok(bob.post("/console/admin/scripts/2/send_back", data={"csrf_token": cb})) == "revision 2 sent back to draft"
    assert err(bob.post("/console/admin/scripts/2/approve", data={"csrf_token": cb})).endswith("not submitted")


def test_preview_labels_name_the_sample_they_render(duly):
    """The preview said "Dana · US first party" over "Hi Alexandra Johnson…" and "王芳 · 中国"
    over a text for 张伟 of 北风银行: the labels came from the simulator's sample accounts,
    the texts from the validator's sample values (kept: the segment counts then agree with
    the validator's table). Each label now names the person and creditor rendered."""
    import html

    ann, _ = console_login(duly, "ann@x.test")
    page = ann.get("/console/admin/scripts/1")
    assert page.status_code == 200
    rows = re.findall(r'<td class="muted small">(.*?)</td><td class="body">(.*?)</td>', page.text, re.S)
    assert len(rows) > 20
    named = 0
    for label, text in ((html.unescape(a), html.unescape(b)) for a, b in rows):
        assert "Dana" not in label and "王芳" not in label and "Olivia" not in label, label
        for name in ("Alexandra Johnson", "张伟"):
            if name in text:
                named += 1
                assert name in label, (label, text)
        for creditor in ("Northwind Card Services", "北风银行"):
            if creditor in text:
                assert creditor in label, (label, text)
    assert named > 5
