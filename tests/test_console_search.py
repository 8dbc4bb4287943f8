"""Console search finds a conversation by phone number, account reference or the holder's
name (found by a new-user trial: searching "T-21" or a name said "No conversation with
that number" — agents are asked about customers by name and reference)."""

from __future__ import annotations

import re

from tests.live import Duly, add_user, console_login
from tests.regressions.support import ACCOUNTS


def _conv_id(d, phone):
    from sqlalchemy import select

    from storage.models import Conversation

    with d.services.sessions() as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == phone))


def _setup(db_url):
    d = Duly(db_url).__enter__()
    d.import_accounts(ACCOUNTS)
    for phone in ("+15555550101", "+15555550102", "+15555550103"):
        assert d.sms("hi", frm=phone).status_code == 200
    add_user(d, "agent@example.test")
    client, _ = console_login(d, "agent@example.test")
    return d, client


def test_search_by_reference_name_and_phone(db_url):
    d, c = _setup(db_url)
    try:
        alice = _conv_id(d, "+15555550101")
        carol = _conv_id(d, "+15555550103")
        for q in ("acc-0001", "ACC-0001", "alice", "Smith", "(555) 555-0101", "+15555550101"):
            r = c.get("/console/search", params={"q": q}, follow_redirects=False)
            assert (r.status_code, r.headers.get("location")) == (303, f"/console/c/{alice}"), q
        # the old parameter name still works
        r = c.get("/console/search", params={"phone": "+15555550103"}, follow_redirects=False)
        assert r.headers.get("location") == f"/console/c/{carol}"
        # "Carol" names two accounts on one phone: one conversation, opened
        r = c.get("/console/search", params={"q": "carol"}, follow_redirects=False)
        assert r.headers.get("location") == f"/console/c/{carol}"
    finally:
        c.close()
        d.__exit__(None, None, None)


def test_several_matches_are_listed_with_holder_and_reference(db_url):
    d, c = _setup(db_url)
    try:
        alice = _conv_id(d, "+15555550101")
        bob = _conv_id(d, "+15555550102")
        r = c.get("/console/search", params={"q": "li"}, follow_redirects=False)   # aLIce, bob LI
        assert r.status_code == 200
        rows = re.findall(r'<li><a href="/console/c/(\d+)">[^<]*</a> — ([^(<]+\([^)]+\))', r.text)
        assert rows == [(str(alice), "Alice Smith (ACC-0001)"), (str(bob), "Bob Li (ACC-0002)")]
        # one letter is no name search; LIKE wildcards are literal; nothing found says so
        for q in ("l", "%", "_ob", "nobody here"):
            r = c.get("/console/search", params={"q": q}, follow_redirects=False)
            assert r.status_code == 200, q
            assert "No conversation matches that number, name or account reference." in r.text, q
    finally:
        c.close()
        d.__exit__(None, None, None)
