"""runner.campaign.plan: cadence steps by DPD, once per episode, through the gate
(both backends via ``db_url``). Tests are named after the rule they prove where one applies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from duly.config import load_settings
from runner.campaign import CadenceConfigError, cadence_config, check_cadence, plan
from storage import scripts as storage_scripts
from storage.models import (Account, CadenceSend, Consent, Conversation, Decision, Hold, Message,
                            OptOut, PaymentLink, Phone, ScriptRevision)
from bot import dialogs

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.timezone.utc)   # 11:00 in New York
SETTINGS = load_settings(env={"DATABASE_URL": "sqlite://"}, config_path=str(ROOT / "config.toml"))
_numbers = itertools.count(1000)


def add(s, ref, dpd, *, tz="America/New_York", profile="us_first_party", phone=None, consent=True,
        balance=50000, past_due=12000, currency="USD", lang="en", creditor="Acme Card"):
    """An account ``dpd`` days past due as of NOW in ``tz`` (None: current), with a phone."""
    today = NOW.astimezone(ZoneInfo(tz)).date()
    a = Account(account_ref=ref, name="Ann Lee", currency=currency, balance_minor=balance,
                past_due_minor=past_due, minimum_due_minor=3500,
                delinquent_since=None if dpd is None else today - dt.timedelta(days=dpd),
                timezone=tz, language=lang, creditor=creditor, profile=profile)
    s.add(a)
    s.flush()
    if phone is not False:
        phone = phone or f"+1555555{next(_numbers):04d}"
        s.add(Phone(e164=phone, account_id=a.id))
        if consent:
            s.add(Consent(phone=phone, account_id=a.id, source="test", consented_at=NOW - dt.timedelta(days=365)))
    s.flush()
    return a


def seed(sf):
    with sf() as s, s.begin():
        storage_scripts.ensure_default_revision(s, "default", dialogs.default_script_text())


def sends(sf):
    with sf() as s:
        return {(r.account_ref, r.step): (r.status, r.rule) for r in s.execute(
            select(Account.account_ref, CadenceSend.step, CadenceSend.status, CadenceSend.rule)
            .join(Account, Account.id == CadenceSend.account_id))}


def counts(sf):
    with sf() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in
                     (CadenceSend, Message, Conversation, Decision, PaymentLink))


def body_of(sf, ref):
    with sf() as s:
        return s.scalar(select(Message.body).join(Account, Account.id == Message.account_id)
                        .where(Account.account_ref == ref))


def test_due_step_for_each_dpd_once(session_factory):
    seed(session_factory)
    expect = {0: None, 1: "dpd1", 6: "dpd1", 7: "dpd7", 14: "dpd7", 15: "dpd15", 29: "dpd15",
              30: "dpd30", 44: "dpd30", 45: "dpd45", 200: "dpd45"}
    with session_factory() as s, s.begin():
        for d in expect:
            add(s, f"D{d}", d)
    seen = []
    report = plan(session_factory, SETTINGS, NOW, progress=lambda done, total: seen.append((done, total)))
    got = sends(session_factory)
    assert got == {(f"D{d}", st): ("queued", None) for d, st in expect.items() if st}
    assert report.due == report.queued == 10 and report.held_total == 0
    assert seen and seen[-1][0] == seen[-1][1]
    # once: a re-run queues nothing new
    before = counts(session_factory)
    again = plan(session_factory, SETTINGS, NOW)
    assert again.due == 0 and counts(session_factory) == before
    # a day later only the accounts that crossed a threshold get their next step, once
    nxt = plan(session_factory, SETTINGS, NOW + dt.timedelta(days=1))
    assert {(i.account_ref, i.step) for i in nxt.items} == {
        ("D0", "dpd1"), ("D6", "dpd7"), ("D14", "dpd15"), ("D29", "dpd30"), ("D44", "dpd45")}
    assert plan(session_factory, SETTINGS, NOW + dt.timedelta(days=1, hours=3)).due == 0


def test_missed_earlier_steps_are_not_sent_in_a_burst(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "LATE", 45)
    plan(session_factory, SETTINGS, NOW)
    assert sends(session_factory) == {("LATE", "dpd45"): ("queued", None)}


def test_dpd_counts_in_the_account_zone(session_factory):
    seed(session_factory)
    now = dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.timezone.utc)   # Auckland: Dec 2; LA: Dec 1
    since = dt.date(2026, 11, 25)
    with session_factory() as s, s.begin():
        for ref, tz in (("AKL", "Pacific/Auckland"), ("LAX", "America/Los_Angeles"), ("UTC", "Etc/UTC")):
            a = add(s, ref, 1, tz=tz)
            a.delinquent_since = since
    plan(session_factory, SETTINGS, now)
    got = sends(session_factory)
    assert got[("AKL", "dpd7")][0] in ("queued", "held")      # 7 days in Auckland
    assert ("LAX", "dpd1") in got and ("UTC", "dpd1") in got   # 6 days
    assert ("LAX", "dpd7") not in got


def test_message_goes_through_the_gate_G_03(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "G1", 7)
    plan(session_factory, SETTINGS, NOW)
    with session_factory() as s:
        cs = s.scalar(select(CadenceSend))
        m = s.get(Message, cs.message_id)
        assert (m.kind, m.sender, m.direction, m.account_id) == ("notice", "system", "outbound", cs.account_id)
        assert m.status in ("pending", "deferred")
        d = s.scalar(select(Decision).where(Decision.message_id == m.id, Decision.actor == "gate"))
        assert d is not None and d.verdict in ("send", "defer")
        conv = s.get(Conversation, m.conversation_id)
        assert conv.our_number == SETTINGS.behaviour["demo"]["our_number"]
        # the dpd7 template carries a payment link made for this account
        link = s.scalar(select(PaymentLink).where(PaymentLink.account_id == cs.account_id))
        assert link is not None and link.token in m.body and "STOP" in m.body   # US-04


def test_gate_refusal_holds_the_step_with_its_rule(session_factory):
    """A hold on another account sharing the phone: the SQL sees this account as eligible,
    the gate (holds on every account of the phone) refuses; the step is held with the rule."""
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "SH1", 7, phone="+15555550777")
        other = add(s, "SH2", None, phone="+15555550777")
        s.add(Hold(account_id=other.id, kind="dispute", rule="US-16", source="api"))
    report = plan(session_factory, SETTINGS, NOW)
    assert sends(session_factory) == {("SH1", "dpd7"): ("held", "US-16")}
    with session_factory() as s:
        m = s.scalar(select(Message))
        assert m.status == "refused"
        assert s.scalar(select(Decision.verdict).where(Decision.message_id == m.id)) == "refuse"
    assert report.held == {"US-16": 1}


@pytest.mark.parametrize("case,rule", [("dispute", "US-16"), ("vulnerability", "UK-07"),
                                       ("optout", "US-05"), ("quarantine", "US-12"),
                                       ("undeliverable", "undeliverable"), ("nophone", "no_phone"),
                                       ("phonehold", "US-17")])
def test_held_accounts_are_skipped_with_the_rule(session_factory, case, rule):
    """US-16/UK-07 holds, US-05 opt-out, US-12 quarantine, undeliverable, no phone, US-17
    cease on the number: a held cadence row with the rule, no message."""
    seed(session_factory)
    with session_factory() as s, s.begin():
        a = add(s, "H", 7, phone=False if case == "nophone" else "+15555550888")
        ok = add(s, "OK", 7)
        if case == "dispute":
            s.add(Hold(account_id=a.id, kind="dispute", rule=None, source="api"))
        elif case == "vulnerability":
            s.add(Hold(account_id=a.id, kind="vulnerability", rule="UK-07"))
        elif case == "optout":
            s.add(OptOut(phone="+15555550888", channel="sms", source="inbound"))
        elif case == "quarantine":
            s.query(Phone).filter_by(account_id=a.id).update({"quarantined_at": NOW})
        elif case == "undeliverable":
            s.query(Phone).filter_by(account_id=a.id).update({"undeliverable_at": NOW, "undeliverable_code": "30003"})
        elif case == "phonehold":
            s.add(Hold(phone="+15555550888", kind="cease", rule="US-17"))
    dry = plan(session_factory, SETTINGS, NOW, dry_run=True)
    assert [(i.account_ref, i.status, i.rule) for i in dry.items if i.account_ref == "H"] == [("H", "held", rule)]
    report = plan(session_factory, SETTINGS, NOW)
    assert sends(session_factory) == {("H", "dpd7"): ("held", rule), ("OK", "dpd7"): ("queued", None)}
    assert report.held == {rule: 1} and report.queued == 1
    with session_factory() as s:
        assert s.scalar(select(func.count(Message.id)).where(Message.account_id == a.id)) == 0
        assert ok.id


def test_cured_account_stops_and_a_new_episode_restarts(session_factory):
    from storage.accounts import import_rows

    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "C1", 7)
        add(s, "C2", 7)
    plan(session_factory, SETTINGS, NOW)
    today = NOW.date()
    kw = dict(default_region="US", default_currency="USD", default_profile="us_first_party",
              profiles=SETTINGS.behaviour["profiles"], today=today)
    with session_factory() as s, s.begin():   # re-import: C1 paid off, C2 no longer past due
        rep = import_rows(s, [(2, {"account_ref": "C1", "name": "Ann Lee", "phone": "+15555550990",
                                   "balance": "0", "days_past_due": "20", "timezone": "America/New_York"})],
                          **kw)
        assert not rep.errors
        # (the import keeps days_past_due = 0 as "delinquent since today"; the loan system
        # clearing the delinquency date is modelled directly)
        c2 = s.scalar(select(Account).where(Account.account_ref == "C2"))
        c2.delinquent_since = None
    later = NOW + dt.timedelta(days=10)
    assert plan(session_factory, SETTINGS, later).due == 0
    # C2 falls behind again: a new episode starts the cadence from its due step
    with session_factory() as s, s.begin():
        c2 = s.scalar(select(Account).where(Account.account_ref == "C2"))
        c2.delinquent_since = later.date() - dt.timedelta(days=2)
    report = plan(session_factory, SETTINGS, later)
    assert [(i.account_ref, i.step) for i in report.items] == [("C2", "dpd1")]


def test_dry_run_writes_nothing_and_prints_held_rules(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "DR1", 15)
        held = add(s, "DR2", 30)
        s.add(Hold(account_id=held.id, kind="attorney", rule="US-18"))
    before = counts(session_factory)
    report = plan(session_factory, SETTINGS, NOW, dry_run=True)
    assert counts(session_factory) == before
    assert {(i.account_ref, i.step, i.status, i.rule, i.template) for i in report.items} == {
        ("DR1", "dpd15", "would_queue", None, "cadence_dpd15"), ("DR2", "dpd30", "held", "US-18", "")}
    assert report.items[0].local_time.startswith("2026-12-01T11:00")


def test_US_14_third_party_texts_carry_the_disclosure(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "TP1", 1, profile="us_third_party")
        add(s, "TP2", 30, profile="us_third_party", lang="zh")
    plan(session_factory, SETTINGS, NOW)
    for ref in ("TP1", "TP2"):
        body = body_of(session_factory, ref)
        assert "This is a communication from a debt collector attempting to collect a debt" in body
        assert "Any information obtained will be used for that purpose" in body
    assert "债务催收机构" in body_of(session_factory, "TP2")


def test_UK_06_no_amount_in_the_uk_notice(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "UK1", 15, profile="uk", tz="Europe/London", phone="+447700900123", currency="GBP",
            past_due=31250, creditor="Northwind UK")
    plan(session_factory, SETTINGS, NOW)
    body = body_of(session_factory, "UK1")
    assert body and "Northwind UK" in body and "reply" in body.lower() and "STOP" in body
    assert "£" not in body and "312" not in body and "Ann" not in body


def test_config_check_refuses_rule_breaking_step_templates():
    script = dialogs.load_script(dialogs.default_script_text())
    b = dict(SETTINGS.behaviour)
    b["cadence"] = {"profiles": {
        "us_third_party": {"steps": [{"dpd": 1, "template": "cadence_dpd1"}]},
        "uk": {"steps": [{"dpd": 1, "template": "cadence_dpd1"}]},
        "us_first_party": {"steps": [{"dpd": 1, "template": "nope"}, {"dpd": 3, "template": "who_is_this"}]}}}
    problems = "\n".join(check_cadence(cadence_config(b), script, b["profiles"]))
    assert "US-14" in problems and "UK-06" in problems and "'nope' is not in the published script" in problems
    assert "US-04" in problems   # who_is_this is not a collection template
    with pytest.raises(CadenceConfigError):
        cadence_config({"profiles": {}, "cadence": {"profiles": {"nowhere": {"steps": []}}}})
    # the shipped config is clean
    assert check_cadence(cadence_config(SETTINGS.behaviour), script, SETTINGS.behaviour["profiles"]) == []


def test_only_an_approved_revision_sends(session_factory):
    with session_factory() as s, s.begin():
        s.add(ScriptRevision(name="default", revision=1, body=dialogs.default_script_text(),
                             status="published", created_by="ann"))
        add(s, "AP1", 7)
    with pytest.raises(CadenceConfigError, match="not approved"):
        plan(session_factory, SETTINGS, NOW)
    assert counts(session_factory)[0] == 0


def test_naive_now_is_refused(session_factory):
    with pytest.raises(ValueError):
        plan(session_factory, SETTINGS, NOW.replace(tzinfo=None))


def test_batches_stream_by_id_range(session_factory):
    seed(session_factory)
    with session_factory() as s, s.begin():
        for i in range(23):
            add(s, f"B{i:02d}", 7 + i % 3)
    report = plan(session_factory, SETTINGS, NOW, batch_size=5, sample_limit=4)
    assert report.batches == 5 and report.queued == 23 and len(report.items) == 4
    assert len(sends(session_factory)) == 23


def test_cli_campaign_run_dry_run_subprocess(tmp_path):
    from storage import db

    url = f"sqlite:///{tmp_path / 'duly.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    sf = db.make_sessionmaker(engine)
    seed(sf)
    with sf() as s, s.begin():
        add(s, "CLI-1", 7)
        h = add(s, "CLI-2", 15)
        s.add(Hold(account_id=h.id, kind="dispute", rule="US-16"))
    before = counts(sf)
    env = {**os.environ, "DATABASE_URL": url, "DULY_CONFIG": str(ROOT / "config.toml"), "LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-m", "duly.cli", "campaign", "run", "--dry-run", "--now",
                          "2026-12-01T16:00:00Z"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "would queue  CLI-1  dpd7  cadence_dpd7  local 2026-12-01T11:00-05:00" in out.stdout
    assert "held         CLI-2  dpd15  US-16" in out.stdout
    assert "2 due: 1 would queue, 1 held (US-16: 1) — dry run, nothing written" in out.stdout
    assert counts(sf) == before
    bad = subprocess.run([sys.executable, "-m", "duly.cli", "campaign", "run", "--now", "soon"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--now" in bad.stderr
    engine.dispose()


def test_settings_replace_keeps_behaviour():
    # plan() reads only settings.behaviour / transport / twilio_from: a copy with another
    # from_number puts cadence texts on that number.
    s2 = dataclasses.replace(SETTINGS, behaviour={**SETTINGS.behaviour,
                                                  "cadence": {**SETTINGS.behaviour["cadence"], "from_number": "+15550001111"}})
    from runner.campaign import _from_number
    assert _from_number(s2) == "+15550001111" and _from_number(SETTINGS) == "+15555550100"


def test_cadence_pauses_while_a_promise_to_pay_is_pending(db_url):
    """A promise-to-pay in force: its reminder and follow-up carry the account, not dunning."""
    import datetime as dt

    from storage import db as storage_db
    from storage.models import Account, CadenceSend, Promise
    from tests.live import Duly

    with Duly(db_url) as d:
        d.import_accounts("account_ref,name,phone,balance,days_past_due,consent_source\n"
                          "P1,Dana,(555) 555-0101,300.00,7,application\n")
        with d.services.sessions() as s, s.begin():
            acct = s.scalar(select(Account).where(Account.account_ref == "P1"))
            s.add(Promise(account_id=acct.id, amount_minor=5000, currency="USD",
                          due_date=d.clock().date() + dt.timedelta(days=3), status="pending",
                          created_at=d.clock(), updated_at=d.clock()))
        from runner.campaign import plan
        report = plan(d.services.sessions, d.settings, d.clock())
        assert report.held["arrangement"] == 1
        with d.services.sessions() as s:
            rows = s.execute(select(CadenceSend.status, CadenceSend.rule)).all()
        assert [tuple(r) for r in rows] == [("held", "arrangement")]


def test_reimport_with_zero_days_past_due_cures_the_account_and_stops_its_cadence(db_url):
    from runner.campaign import plan as run_plan
    from tests.live import Duly

    with Duly(db_url) as d:
        head = "account_ref,name,phone,balance,days_past_due,consent_source\n"
        assert d.import_accounts(head + "CU1,Dana,(555) 555-0101,300.00,7,application\n").errors == []
        assert run_plan(d.services.sessions, d.settings, d.clock()).queued == 1
        assert d.import_accounts(head + "CU1,Dana,(555) 555-0101,300.00,0,application\n").updated == 1
        later = d.clock() + dt.timedelta(days=10)
        assert run_plan(d.services.sessions, d.settings, later).due == 0


def test_dry_run_counts_no_gate_metric_and_logs_no_refusal_at_info(session_factory, caplog, monkeypatch):
    """A dry run's transaction is rolled back: a refusal at the gate (here a forced
    US-20) is reported in the run, but no "outbound refuse" INFO line and no
    ``duly_gate_decisions_total`` increment claim a decision that never happened
    (found by a new-user trial: ``--dry-run`` logged "outbound refuse … US-10")."""
    import logging

    from bot import gate
    from duly.metrics import GATE_DECISIONS
    from runner import outbound

    def refused() -> float:
        return GATE_DECISIONS.labels("US-20", "refuse", "submit")._value.get()

    monkeypatch.setattr(outbound.gate, "decide",
                        lambda cand, ctx: gate.Verdict("refuse", "US-20", "cap reached", checks=(("US-20", "refuse"),)))
    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "NC1", 15)
    before = refused()
    with caplog.at_level(logging.INFO, logger="duly"):
        report = plan(session_factory, SETTINGS, NOW, dry_run=True)
    assert [(i.account_ref, i.status, i.rule) for i in report.items] == [("NC1", "held", "US-20")]
    assert refused() == before
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "outbound refuse" in r.getMessage()]
    # the real run counts and logs it
    with caplog.at_level(logging.INFO, logger="duly"):
        plan(session_factory, SETTINGS, NOW)
    assert refused() == before + 1
    assert [r for r in caplog.records if "outbound refuse" in r.getMessage()]
