"""The `duly` command line, run as a user would (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import AUTH_TOKEN, PUBLIC_BASE, Duly

ROOT = Path(__file__).resolve().parent.parent


def run(args, env=None, input=None, timeout=120, cwd=None):
    e = dict(os.environ)
    for k in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "DULY_DEV", "DATABASE_URL", "PUBLIC_BASE_URL"):
        e.pop(k, None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "duly.cli", *args], cwd=cwd or ROOT, env=e, input=input,
                          capture_output=True, text=True, timeout=timeout)


def test_serve_refuses_to_start_without_a_token(tmp_path):
    r = run(["serve", "--port", "0"], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert r.returncode == 2
    assert "TWILIO_AUTH_TOKEN" in r.stderr


def test_db_upgrade_then_scripts_export(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    r = run(["db", "upgrade"], env=env)
    assert r.returncode == 0, r.stderr
    r = run(["scripts", "export"], env=env)
    assert r.returncode == 0, r.stderr
    from bot.dialogs import default_script_text
    assert r.stdout == default_script_text()


def test_scripts_validate_default_ok_and_broken_names_the_line(tmp_path):
    from bot.dialogs import default_script_text
    good = tmp_path / "good.toml"
    good.write_text(default_script_text(), "utf-8")
    r = run(["scripts", "validate", str(good)])
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml\n", "utf-8")
    r = run(["scripts", "validate", str(bad)])
    assert r.returncode == 1
    assert f"{bad}:1:" in r.stdout


def test_accounts_import_names_bad_rows_and_keeps_good_ones(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert run(["db", "upgrade"], env=env).returncode == 0
    csv = tmp_path / "a.csv"
    csv.write_text("account_ref,name,phone,balance,days_past_due\n"
                   "A1,Ann,(555) 555-0101,100.00,3\n"
                   "A2,Bob,not a phone,50.00,3\n"
                   "A3,Cy,+1 555 555 0103,12.345,3\n"
                   "A4,Di,555.555.0104,75,10\n", "utf-8")
    r = run(["accounts", "import", str(csv)], env=env)
    assert r.returncode == 1
    assert "line 3:" in r.stderr and "line 4:" in r.stderr
    assert "2 created, 0 updated, 2 rows skipped" in r.stdout


def test_chat_prints_every_outbound_message_as_stored(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'chat.db'}"
    with Duly(db_url) as duly:
        duly.import_accounts("account_ref,name,phone,balance,days_past_due\nC1,Dana,(555) 555-0101,100.00,5\n")
        r = run(["chat", "+15555550101", "--url", duly.server.url],
                env={"DATABASE_URL": db_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE},
                input="pay\n", timeout=60)
    assert r.returncode == 0, r.stderr
    assert "duly> " in r.stdout and "pay.example.com" in r.stdout


def test_agent_handback_from_the_terminal(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'agent.db'}"
    with Duly(db_url) as duly:
        duly.import_accounts("account_ref,name,phone,balance,days_past_due\nC1,Dana,(555) 555-0101,100.00,5\n")
        duly.sms("talk to a person")
        assert duly.conversation()["mode"] == "agent"
        r = run(["agent", "handback", "+15555550101", "--agent", "ann@example.com"], env={"DATABASE_URL": db_url})
        assert r.returncode == 0, r.stderr
        assert "mode bot" in r.stdout
        assert duly.conversation()["mode"] == "bot"
    r = run(["agent", "handback", "+15555550199"], env={"DATABASE_URL": db_url})
    assert r.returncode == 1 and "never saw" in r.stderr


def test_serve_and_worker_refuse_a_missing_prometheus_multiproc_dir(tmp_path):
    """A PROMETHEUS_MULTIPROC_DIR that does not exist (or is a file) is a one-line error and
    exit 2 at start-up: serve used to stop with a raw traceback, the worker silently dropped
    its counts."""
    missing = tmp_path / "no-such-dir"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    base = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    for path in (missing, a_file):
        env = {**base, "PROMETHEUS_MULTIPROC_DIR": str(path)}
        for args in (["serve", "--port", "0"], ["worker", "--once"]):
            r = run(args, env=env)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert "Traceback" not in r.stderr
            assert f"PROMETHEUS_MULTIPROC_DIR={path}" in r.stderr and "not a directory" in r.stderr
    assert not missing.exists()   # never created behind the operator's back


def test_worker_starts_with_an_existing_prometheus_multiproc_dir(tmp_path):
    """The check refuses only a missing directory: with it present the worker runs."""
    d = tmp_path / "prom"
    d.mkdir()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(d), "SMS_TRANSPORT": "console"}
    r = run(["worker", "--once"], env=env)
    assert r.returncode == 0, r.stderr


def test_accounts_import_skips_a_repeated_account_ref_and_reports_a_rename(tmp_path):
    """The trial's file: a later row repeating T-1 is named by line and skipped (exit 1, the
    good rows land); a later import that renames T-1 lands and is reported (exit 0)."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert run(["db", "upgrade"], env=env).returncode == 0
    csv = tmp_path / "a.csv"
    csv.write_text("account_ref,name,phone,balance,days_past_due,timezone\n"
                   "T-0,Bea Park,+1 555 555 0110,50.00,15,America/Chicago\n"
                   "T-1,Alex Good,+1 555 555 0111,100.00,15,America/Los_Angeles\n"
                   "T-1,Dup Ref,+1 555 555 0120,100.00,15,America/New_York\n", "utf-8")
    r = run(["accounts", "import", str(csv)], env=env)
    assert r.returncode == 1
    assert "line 4: account_ref T-1 repeats line 3; skipped" in r.stderr
    assert "2 created, 0 updated, 1 rows skipped" in r.stdout
    again = tmp_path / "b.csv"
    again.write_text("account_ref,name,phone,balance,days_past_due\n"
                     "T-1,Alexandra Good,+1 555 555 0111,90.00,16\n", "utf-8")
    r = run(["accounts", "import", str(again)], env=env)
    assert r.returncode == 0, r.stderr
    assert ("line 2: warning: account_ref T-1: name changed from 'Alex Good' to 'Alexandra Good' "
            "(updated; check it is the same customer)") in r.stderr
    assert "0 created, 1 updated, 0 rows skipped, 1 renamed" in r.stdout


def _script_file(tmp_path, marker: str) -> Path:
    """The default script with one template changed (so the revision is a new text)."""
    from bot.dialogs import default_script_text

    text = default_script_text()
    old = 'Reply STOP to opt out'
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, f"{marker} Reply STOP to opt out", 1), "utf-8")
    return path


def _audit_rows(db_url: str):
    from sqlalchemy import create_engine, select

    from storage.models import AuditEntry

    eng = create_engine(db_url)
    try:
        with eng.connect() as conn:
            return [(r.actor, r.action, r.detail) for r in conn.execute(
                select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))]
    finally:
        eng.dispose()


def test_scripts_publish_with_cli_submit_submits_for_a_second_admin(tmp_path):
    """README: draft → submitted → approved by a second admin → published, every step in the
    audit log. With `[scripts] cli_publish = "submit"` (four eyes on) `duly scripts publish
    FILE` only submits the file for approval in the console, audited as the CLI user;
    customers see nothing until a second admin approves — and the person who submitted it
    from the CLI cannot approve it in the console."""
    import datetime as dt

    from sqlalchemy import create_engine
    from storage import db, scripts as store

    conf = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text("utf-8")
    assert 'cli_publish = "publish"' in text
    conf.write_text(text.replace('cli_publish = "publish"', 'cli_publish = "submit"'), "utf-8")
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {"DATABASE_URL": db_url, "DULY_CONFIG": str(conf)}
    assert run(["db", "upgrade"], env=env).returncode == 0
    path = _script_file(tmp_path, "Edited in git.")
    r = run(["scripts", "publish", str(path), "--by", "ann@example.com"], env=env)
    assert r.returncode == 0, r.stderr
    assert "revision 2 submitted for approval" in r.stdout and "/console/admin/scripts/2" in r.stdout
    assert "Edited in git." not in run(["scripts", "export"], env=env).stdout   # still revision 1
    rows = _audit_rows(db_url)
    assert [(a, act) for a, act, _ in rows] == [("cli:ann@example.com", "script_submitted")]
    detail = rows[0][2]
    assert detail["revision"] == 2 and detail["file"] == str(path) and detail["os_user"]
    engine = db.make_engine(db_url)
    sessions = db.make_sessionmaker(engine)
    now = dt.datetime.now(dt.timezone.utc)
    try:
        with sessions() as s, s.begin():
            rev = store.revision(s, "default", 2)
            assert (rev.status, rev.created_by, rev.submitted_by) == ("submitted", "cli:ann@example.com",
                                                                      "cli:ann@example.com")
            with pytest.raises(store.WorkflowError, match="four eyes"):
                store.approve(s, rev, by="ann@example.com", now=now)       # the same person, in the console
        with sessions() as s, s.begin():
            rev = store.revision(s, "default", 2)
            store.approve(s, rev, by="bob@example.com", now=now)
            store.publish_revision(s, rev, by="bob@example.com", now=now)
    finally:
        engine.dispose()
    assert "Edited in git." in run(["scripts", "export"], env=env).stdout


def test_scripts_publish_publishes_at_once_and_audits(tmp_path):
    """CONTRACT.md: `duly scripts publish FILE` publishes it as a new revision (the default
    config) — and the audit log says who (the OS user when no --by is given); it used to
    write no audit entry at all."""
    import getpass

    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    env = {"DATABASE_URL": db_url}
    assert run(["db", "upgrade"], env=env).returncode == 0
    r = run(["scripts", "publish", str(_script_file(tmp_path, "Straight out."))], env=env)
    assert r.returncode == 0, r.stderr
    assert "published default revision 2" in r.stdout
    assert "Straight out." in run(["scripts", "export"], env=env).stdout
    who = f"cli:{getpass.getuser()}"
    assert [(a, act) for a, act, _ in _audit_rows(db_url)] == [(who, "script_published")]


def test_agent_takeover_from_the_terminal_is_audited(tmp_path):
    """`duly agent takeover PHONE` took the conversation with no audit entry."""
    db_url = f"sqlite:///{tmp_path / 'agent.db'}"
    with Duly(db_url) as duly:
        duly.import_accounts("account_ref,name,phone,balance,days_past_due\nC1,Dana,(555) 555-0101,100.00,5\n")
        duly.sms("pay")
        r = run(["agent", "takeover", "+15555550101", "--agent", "ann@example.com"], env={"DATABASE_URL": db_url})
        assert r.returncode == 0, r.stderr
        assert duly.conversation()["mode"] == "agent"
        r = run(["agent", "handback", "+15555550101", "--agent", "ann@example.com"], env={"DATABASE_URL": db_url})
        assert r.returncode == 0, r.stderr
    rows = [(a, act, d) for a, act, d in _audit_rows(db_url)]
    assert [(a, act) for a, act, _ in rows] == [("cli:ann@example.com", "take_over"),
                                                ("cli:ann@example.com", "hand_back")]
    assert all(d["via"] == "cli" and d["os_user"] for _, _, d in rows)


def test_demo_prints_an_api_token_that_the_api_accepts(tmp_path):
    """The demo set no API_TOKEN, so every /api/* call answered 401 and nothing said why.
    `duly demo` now makes a fresh token for the run (unless API_TOKEN is set) and prints it
    beside the console passwords."""
    import re
    import socket
    import time

    import httpx2 as httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    e = dict(os.environ)
    for k in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "DULY_DEV", "PUBLIC_BASE_URL", "API_TOKEN", "SMS_TRANSPORT"):
        e.pop(k, None)
    e["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.db'}"
    e["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "duly.cli", "demo", "--port", str(port)], cwd=ROOT, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, deadline = "", time.monotonic() + 90
        while "Serving on" not in out and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out += line
        m = re.search(r"Authorization: Bearer (\S+)", out)
        assert m, out
        token = m.group(1)
        url = f"http://127.0.0.1:{port}/api/conversations?phone=%2B15555550101"
        for _ in range(100):
            try:
                r = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert r.status_code in (200, 404), r.text          # not 401
        assert httpx.get(url, timeout=5).status_code == 401  # still needed
    finally:
        proc.terminate()
        proc.wait(timeout=30)
