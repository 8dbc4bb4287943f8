"""The results page and its CSV over real HTTP (uvicorn), on SQLite and PostgreSQL: admins
see the table, charts and variants; the CSV downloads; agents are refused; bad dates
answer 400."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx2 as httpx
import pytest

from console import results as console_results
from tests.live import Duly, add_user, console_login
from tests.test_results import World

UTC = dt.timezone.utc
# the live clock is 2026-11-30 15:00 UTC: the default period is 2026-11-01 .. 2026-11-30
T = dt.datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
HEADER = ["step", "template", "revision", "variant", "created", "sent", "delivered", "replied", "right_party",
          "promised", "kept", "paid", "plans", "opted_out", "handed_off", "delivered_rate", "replied_rate",
          "right_party_rate", "promised_rate", "kept_rate", "paid_rate", "plans_rate", "opted_out_rate",
          "handed_off_rate", "paid_USD"]


@pytest.fixture
def duly(db_url):
    d = Duly(db_url)
    with d:
        add_user(d, "agent@x.test", "agent")
        add_user(d, "boss@x.test", "admin")
        with d.services.sessions() as s:
            w = World(s)
            # variant A: 30 sent, 3 replies; variant B: 30 sent, 20 replies and a payment
            for i in range(60):
                a, c = w.account(i)
                variant = "A" if i < 30 else "B"
                w.out(c, T, "cadence_first", variant=variant, revision=2, step="day1")
                if (variant == "A" and i < 3) or (variant == "B" and i < 50):
                    w.inbound(c, T + dt.timedelta(hours=1))
                if i == 59:
                    w.payment(a, T + dt.timedelta(days=1), 12345)
            s.commit()
        yield d


def test_admin_sees_results(duly):
    boss, _ = console_login(duly, "boss@x.test")
    r = boss.get("/console/admin/results")
    assert r.status_code == 200, r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    html = r.text
    assert 'data-testid="results"' in html and "cadence_first" in html
    assert 'value="2026-11-01"' in html and 'value="2026-11-30"' in html
    assert "$123.45" in html
    # charts are inline SVG, drawn without any script
    assert 'data-testid="chart-replied"' in html and "<svg" in html
    assert "<script>" not in html and "onload" not in html
    # B's reply rate (20/30) against A's (3/30): the interval excludes 0
    assert 'data-testid="variants"' in html and 'data-testid="differs"' in html
    assert "+56.7 pp" in html
    assert 'formaction="/console/admin/results.csv"' in html          # the CSV of the dates in the form


def test_explicit_period_and_empty(duly):
    boss, _ = console_login(duly, "boss@x.test")
    r = boss.get("/console/admin/results", params={"start": "2026-10-01", "end": "2026-10-31"})
    assert r.status_code == 200
    assert 'data-testid="empty"' in r.text and 'data-testid="results"' not in r.text
    r = boss.get("/console/admin/results", params={"start": "2026-11-10", "end": "2026-11-10", "window": "1"})
    assert r.status_code == 200 and 'data-testid="results"' in r.text


def test_csv_download(duly):
    boss, _ = console_login(duly, "boss@x.test")
    r = boss.get("/console/admin/results.csv", params={"start": "2026-11-01", "end": "2026-11-30"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == \
        'attachment; filename="duly-results-2026-11-01-to-2026-11-30.csv"'
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0] == HEADER
    rows = [dict(zip(HEADER, t)) for t in table[1:]]
    assert [(x["variant"], x["sent"], x["replied"], x["paid_USD"]) for x in rows] == [
        ("A", "30", "3", "0.00"), ("B", "30", "20", "123.45")]


def test_agent_refused(duly):
    agent, _ = console_login(duly, "agent@x.test")
    assert agent.get("/console/admin/results").status_code == 403
    r = agent.get("/console/admin/results.csv")
    assert r.status_code == 403 and "cadence_first" not in r.text


def test_sign_in_needed(duly):
    c = httpx.Client(base_url=duly.server.url, timeout=30)
    for path in ("/console/admin/results", "/console/admin/results.csv"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next=")


BAD = [
    ({"start": "yesterday"}, "start must be a date like 2026-11-30"),
    ({"end": "2026-02-30"}, "end is not a real date"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "start must not be after end"),
    ({"start": "2020-01-01", "end": "2026-11-01"}, "choose at most 366 days"),
    ({"window": "0"}, "window must be a whole number"),
    ({"window": "1e9"}, "window must be a whole number"),
    ({"start": "2026-11-01\x00"}, "start must be a date"),
]


def test_bad_parameters_answer_400(duly):
    boss, _ = console_login(duly, "boss@x.test")
    for params, message in BAD:
        r = boss.get("/console/admin/results", params=params)
        assert r.status_code == 400, (params, r.status_code, r.text)
        assert message in r.text and 'data-testid="error"' in r.text, params
        r = boss.get("/console/admin/results.csv", params=params)
        assert r.status_code == 400 and message in r.text, params


def test_parse_period_defaults():
    today = dt.date(2026, 11, 30)
    p = console_results.parse_period({}, today)
    assert (p.start, p.end, p.window) == (dt.date(2026, 11, 1), today, 7)
    assert p.start_at == dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert p.end_at == dt.datetime(2026, 12, 1, tzinfo=UTC)
    p = console_results.parse_period({"start": "", "end": "2026-01-31", "window": "14"}, today)
    assert (p.start, p.end, p.window) == (dt.date(2026, 1, 2), dt.date(2026, 1, 31), 14)
