"""Admin → Settings over real HTTP (uvicorn), on SQLite and PostgreSQL: an admin narrows
quiet hours, a wider window is refused with its reason, agents and forged posts get 403,
a stale form cannot overwrite a colleague's save, and the runtime store follows."""

from __future__ import annotations

import html
import re

import httpx2 as httpx
import pytest
from sqlalchemy import func, select

from console import admin_settings
from storage import settings_store as ss
from storage.models import AuditEntry, SettingsRevision
from tests.live import Duly, add_user, console_login

PATH = "/console/admin/settings"
KEY = "profiles.us_first_party.allowed_hours"


@pytest.fixture
def duly(db_url):
    d = Duly(db_url)
    with d:
        add_user(d, "agent@x.test", "agent")
        add_user(d, "boss@x.test", "admin")
        yield d


def page(c: httpx.Client) -> tuple[str, str]:
    """The settings page's text (unescaped) and the version its form is based on."""
    r = c.get(PATH)
    assert r.status_code == 200, r.text
    return html.unescape(r.text), re.search(r'name="version" value="(\d+)"', r.text).group(1)


def revisions(duly: Duly) -> list[SettingsRevision]:
    with duly.services.sessions() as s:
        rows = ss.history(s)
        s.expunge_all()
        return rows


def test_admin_narrows_quiet_hours(duly):
    c, csrf = console_login(duly, "boss@x.test")
    text, version = page(c)
    assert version == "0" and "08:00-21:00" in text and "within 08:00–21:00 (US-01)" in text
    assert "at most 45 ([bounds] promises.max_days_ahead_max)" in text
    # the whole form, as the browser sends it, with one field changed
    fields = dict(re.findall(r'<input id="f-[^"]+" name="([^"]+)" value="([^"]*)"', c.get(PATH).text))
    assert len(fields) == len(ss.keys(duly.services.settings.behaviour))
    fields = {k: html.unescape(v) for k, v in fields.items()}
    assert fields[KEY] == "08:00-21:00" and fields["profiles.us_ma.caps"] == "US-20 1/1, ST-01 2/7"
    r = c.post(PATH, data={**fields, "csrf_token": csrf, "version": version, KEY: "09:00-20:00",
                           "reason": "complaints about early texts"})
    assert r.status_code == 303, r.text
    done = c.get(r.headers["location"])
    assert done.status_code == 200
    text = html.unescape(done.text)
    assert "Saved version 1" in text
    assert 'value="09:00-20:00"' in text                        # the value in force is shown
    assert "complaints about early texts" in text and "profiles.us_first_party.allowed_hours" in text
    revs = revisions(duly)
    assert [(r.version, r.created_by, r.reason) for r in revs] == [(1, "boss@x.test", "complaints about early texts")]
    assert revs[0].body == {"profiles": {"us_first_party": {"allowed_hours": ["09:00", "20:00"]}}}
    with duly.services.sessions() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "settings_saved")).all()
        assert [(a.actor, a.detail["version"]) for a in audit] == [("boss@x.test", 1)]
    # this host's store was told at once, and the runner and the gate use it
    b = duly.services.settings_store.behaviour()
    assert b["profiles"]["us_first_party"]["allowed_hours"] == ["09:00", "20:00"]
    duly.services.runner.refresh_settings()           # each unit of work starts with this
    assert duly.services.runner.settings.behaviour["profiles"]["us_first_party"]["allowed_hours"] == ["09:00", "20:00"]
    # a second save on top: version 2, other keys kept from the form
    r = c.post(PATH, data={"csrf_token": csrf, "version": "1", KEY: "09:00-20:00",
                           "promises.max_days_ahead": "40", "reason": "longer promises"})
    assert r.status_code == 303, r.text
    assert [r.version for r in revisions(duly)] == [2, 1]
    assert revisions(duly)[0].body == {"profiles": {"us_first_party": {"allowed_hours": ["09:00", "20:00"]}},
                                       "promises": {"max_days_ahead": 40}}


def test_wider_window_is_refused_with_the_reason(duly):
    c, csrf = console_login(duly, "boss@x.test")
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", KEY: "07:00-21:00", "reason": "earlier"})
    assert r.status_code == 400
    text = html.unescape(r.text)
    assert "profiles.us_first_party.allowed_hours 07:00–21:00 starts before the profile's 08:00 (US-01)" in text
    assert 'value="07:00-21:00"' in text                        # what was typed stays in the form
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", "promises.max_days_ahead": "60",
                           "profiles.us_ma.caps": "US-20 1/1, ST-01 3/7", "reason": "x"})
    assert r.status_code == 400
    text = html.unescape(r.text)
    assert "promises.max_days_ahead 60 is above the bound 45" in text
    assert "more than the configured ST-01 cap of 2 per 7 days" in text
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", KEY: "9 to noon", "reason": "x"})
    assert r.status_code == 400 and f"{KEY}: '9' is not an HH:MM time" in html.unescape(r.text)
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", KEY: "09:00-20:00", "reason": " "})
    assert r.status_code == 400 and "a reason is required" in r.text
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", KEY: "08:00-21:00", "reason": "same"})
    assert r.status_code == 400 and "nothing changed" in r.text
    assert revisions(duly) == []


def test_agent_gets_403(duly):
    c, csrf = console_login(duly, "agent@x.test")
    assert c.get(PATH).status_code == 403
    r = c.post(PATH, data={"csrf_token": csrf, "version": "0", KEY: "09:00-20:00", "reason": "sneaky"})
    assert r.status_code == 403
    assert revisions(duly) == []


def test_missing_or_wrong_csrf_is_403(duly):
    c, _ = console_login(duly, "boss@x.test")
    form = {"version": "0", KEY: "09:00-20:00", "reason": "forged"}
    assert c.post(PATH, data=form).status_code == 403
    assert c.post(PATH, data={**form, "csrf_token": "nope"}).status_code == 403
    anon = httpx.Client(base_url=duly.server.url, timeout=30)
    assert anon.get(PATH).status_code == 303
    assert anon.post(PATH, data=form).status_code == 401
    assert revisions(duly) == []


def test_stale_form_cannot_overwrite_a_colleagues_save(duly):
    add_user(duly, "boss2@x.test", "admin")
    a, csrf_a = console_login(duly, "boss@x.test")
    b, csrf_b = console_login(duly, "boss2@x.test")
    _, va = page(a)
    _, vb = page(b)
    assert a.post(PATH, data={"csrf_token": csrf_a, "version": va, KEY: "09:00-20:00",
                              "reason": "first"}).status_code == 303
    r = b.post(PATH, data={"csrf_token": csrf_b, "version": vb, "promises.max_days_ahead": "40",
                           "reason": "second"})
    assert r.status_code == 409
    text = html.unescape(r.text)
    assert "someone saved version 1 first (boss@x.test" in text
    assert 'value="09:00-20:00"' in text and 'name="version" value="1"' in text   # the colleague's values
    with duly.services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SettingsRevision)) == 1
