"""Settings admins may change without code (storage/settings_store.py): bounds, versioned
saves, the deep merge and the runtime store, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from duly.config import load_behaviour, load_settings
from storage import settings_store as ss
from storage.models import AuditEntry, SettingsRevision

BASE, _ = load_behaviour(Path(__file__).resolve().parents[1] / "config.toml")
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


def caps(*triples):
    return [{"rule": r, "count": c, "days": d} for r, c, d in triples]


REFUSED = [
    ({"promises": {"max_days_ahead": 60}},
     "promises.max_days_ahead 60 is above the bound 45 ([bounds] promises.max_days_ahead_max)"),
    ({"promises": {"agent_max_days_ahead": 400}},
     "promises.agent_max_days_ahead 400 is above the bound 365 ([bounds] promises.agent_max_days_ahead_max)"),
    ({"promises": {"min_fraction_of_past_due": "0.01"}},
     "promises.min_fraction_of_past_due 0.01 is below the bound 0.05 ([bounds] promises.min_fraction_of_past_due_min)"),
    ({"plans": {"instalment_months": [6, 36]}},
     "plans.instalment_months 36 is above the bound 24 ([bounds] plans.instalment_months_max)"),
    ({"plans": {"min_instalment": "5.00"}},
     "plans.min_instalment 5.00 is below the bound 10.00 ([bounds] plans.min_instalment_min)"),
    ({"plans": {"deferral_days": 90}}, "plans.deferral_days 90 is above the bound 60 ([bounds] plans.deferral_days_max)"),
    ({"plans": {"interest_free_months": 18}},
     "plans.interest_free_months 18 is above the bound 12 ([bounds] plans.interest_free_months_max)"),
    ({"profiles": {"us_first_party": {"allowed_hours": ["07:00", "21:00"]}}},
     "profiles.us_first_party.allowed_hours 07:00–21:00 starts before the profile's 08:00 (US-01)"),
    ({"profiles": {"us_first_party": {"allowed_hours": ["08:00", "21:30"]}}},
     "profiles.us_first_party.allowed_hours 08:00–21:30 ends after the profile's 21:00 (US-01)"),
    ({"profiles": {"cn": {"allowed_hours": ["07:30", "22:00"]}}},
     "profiles.cn.allowed_hours 07:30–22:00 starts before the profile's 08:00 (CN-01)"),
    ({"profiles": {"cn": {"allowed_hours": ["08:00", "22:30"]}}},      # CN-01: past the 22:00 legal stop
     "profiles.cn.allowed_hours 08:00–22:30 ends after the profile's 22:00 (CN-01) — the legal bound "
     "([bounds] profiles.cn.allowed_hours_max)"),
    ({"profiles": {"uk": {"allowed_hours": ["20:00", "09:00"]}}},
     "profiles.uk.allowed_hours 20:00–09:00 is not inside the profile's 08:00–21:00 (UK-05)"),
    ({"profiles": {"us_ma": {"caps": caps(("US-20", 1, 1), ("ST-01", 3, 7))}}},
     "profiles.us_ma.caps US-20 1 per 1 day, ST-01 3 per 7 days lets 3 through in 7 days, more than the "
     "configured ST-01 cap of 2 per 7 days (an override may only be stricter)"),
    ({"profiles": {"cn": {"caps": caps(("CN-03", 3, 1))}}},
     "profiles.cn.caps CN-03 3 per 1 day lets 3 through in 1 day, more than the configured CN-03 cap of 2 per 1 day"),
    ({"caps": {"default": caps(("US-20", 1, 1))}},            # dropping the 3-per-7 cap lets 7 through
     "caps.default US-20 1 per 1 day lets 7 through in 7 days, more than the configured US-20 cap of 3 per 7 days"),
    ({"caps": {"default": []}}, "caps.default none lets any number through in 1 day"),
    ({"profiles": {"uk": {"caps": caps(("US-20", 2, 2), ("US-20", 3, 7))}}},   # 2 per 2 days → 2 in one day
     "profiles.uk.caps US-20 2 per 2 days, US-20 3 per 7 days lets 2 through in 1 day, more than the configured "
     "US-20 cap of 1 per 1 day"),
]


@pytest.mark.parametrize("overlay,message", REFUSED, ids=[m.split(" ")[0] + str(i) for i, (_, m) in enumerate(REFUSED)])
def test_each_bound_is_refused_with_its_message(overlay, message):
    problems = ss.check(overlay, BASE)
    assert any(p.startswith(message) for p in problems), problems
    assert ss.effective_overlay(overlay, BASE)[0] == {}


ACCEPTED = [
    {"promises": {"max_days_ahead": 45, "agent_max_days_ahead": 365, "min_fraction_of_past_due": "0.05"}},
    {"plans": {"instalment_months": [3, 6, 12, 24], "min_instalment": "10", "deferral_days": 60,
               "interest_free_months": 0}},
    {"profiles": {"us_first_party": {"allowed_hours": ["09:00", "20:00"]}, "cn": {"allowed_hours": ["08:00", "22:00"]},
                  "uk": {"allowed_hours": ["10:00", "12:00"]}}},
    {"profiles": {"us_ma": {"caps": caps(("ST-01", 1, 7))}}},                     # 1 per 7 days: stricter than both
    {"caps": {"default": caps(("US-20", 1, 1), ("US-20", 2, 7))}},
    {"profiles": {"cn": {"caps": caps(("CN-03", 1, 1))}}},
    {"agent": {"hours": {"zone": "Europe/London", "days": ["sat", "sun"], "start": "06:00", "end": "23:30",
                         "holidays": ["2026-12-25"]}}},
    {},
]


@pytest.mark.parametrize("overlay", ACCEPTED)
def test_narrower_or_stricter_values_pass(overlay):
    assert ss.check(overlay, BASE) == []


def test_unknown_keys_wrong_types_and_profiles():
    problems = ss.check({"promises": {"max_days_ahead": "40", "nope": 1}, "outbound": {"batch_size": 1},
                         "profiles": {"mars": {"allowed_hours": ["09:00", "17:00"]},
                                      "us_ma": {"regime": "third_party"}},
                         "plans": {"min_instalment": 12.5, "instalment_months": [6, 6]}}, BASE)
    text = "\n".join(problems)
    assert "promises.nope is not a setting admins may change" in text
    assert "outbound is not a setting admins may change" in text
    assert "profiles.us_ma.regime is not a setting admins may change" in text
    assert "promises.max_days_ahead '40' is not a whole number" in text
    assert "profiles.mars.allowed_hours: config.toml has no profile 'mars'" in text
    assert "plans.min_instalment 12.5 is not a decimal written as text" in text
    assert "plans.instalment_months 6, 6 names a plan length twice" in text
    assert ss.check({"profiles": {"us_first_party": {"allowed_hours": ["9", "17:00"]}}}, BASE)
    assert ss.check({"caps": {"default": [{"rule": "US-20", "count": 1}]}}, BASE)
    assert ss.check(["not", "a", "table"], BASE) == ["the settings must be a table of keys"]


def test_agent_hours_any_valid_window_only():
    ok = {"agent": {"hours": {"start": "00:00", "end": "23:59"}}}
    assert ss.check(ok, BASE) == []
    bad = ss.check({"agent": {"hours": {"zone": "Mars/Olympus", "days": ["mon", "funday"], "start": "20:00",
                                        "end": "08:00", "holidays": ["2026-02-30"]}}}, BASE)
    text = "\n".join(bad)
    assert "agent.hours.zone 'Mars/Olympus' is not a time zone" in text
    assert "agent.hours.days" in text and "agent.hours.holidays" in text
    assert "agent.hours 20:00–08:00: the start must be before the end" in text
    assert ss.check({"agent": {"hours": {"zone": "../../etc/passwd"}}}, BASE)
    # no [agent.hours] in config.toml: the zone must come with the hours
    base = copy.deepcopy(BASE)
    del base["agent"]["hours"]
    assert any("agent.hours.zone" in p for p in ss.check({"agent": {"hours": {"start": "09:00"}}}, base))


def test_promises_agent_limit_not_below_bot_limit():
    problems = ss.check({"promises": {"agent_max_days_ahead": 20}}, BASE)
    assert problems == ["promises.agent_max_days_ahead: agents may agree no later date (20 days) than the bot "
                        "(30 days); promises.agent_max_days_ahead must be at least promises.max_days_ahead"]


def test_a_bound_missing_from_config_means_the_default_is_the_widest():
    base = copy.deepcopy(BASE)
    del base["bounds"]["plans"]["deferral_days_max"]
    del base["bounds"]["plans"]["instalment_months_max"]
    assert ss.check({"plans": {"deferral_days": 30, "instalment_months": [3, 12]}}, base) == []
    assert ss.check({"plans": {"deferral_days": 31}}, base) == [
        "plans.deferral_days 31 is above the bound 30 (config.toml)"]
    assert ss.check({"plans": {"instalment_months": [18]}}, base) == [
        "plans.instalment_months 18 is above the bound 12 (config.toml)"]


def test_merge_is_deep_and_leaves_the_base_untouched():
    base = copy.deepcopy(BASE)
    before = copy.deepcopy(base)
    overlay = {"profiles": {"us_ma": {"allowed_hours": ["09:00", "20:00"]}}, "promises": {"max_days_ahead": 40},
               "agent": {"hours": {"days": ["mon"]}}}
    merged = ss.merge(base, overlay)
    assert base == before
    assert merged["profiles"]["us_ma"]["allowed_hours"] == ["09:00", "20:00"]
    assert merged["profiles"]["us_ma"]["states"] == ["MA"]                       # siblings kept
    assert merged["profiles"]["cn"] == base["profiles"]["cn"]
    assert merged["promises"] == {**base["promises"], "max_days_ahead": 40}
    assert merged["agent"]["hours"] == {**base["agent"]["hours"], "days": ["mon"]}
    assert merged["agent"]["sla_minutes"] == base["agent"]["sla_minutes"]
    # nothing shared: changing the result changes neither input
    merged["profiles"]["cn"]["caps"].append({"rule": "X", "count": 9, "days": 1})
    merged["agent"]["hours"]["days"].append("tue")
    assert base == before and overlay["agent"]["hours"]["days"] == ["mon"]
    assert ss.merge(base, {}) == base and ss.merge(base, {}) is not base
    # an overlay table where the base has none
    assert ss.merge({"a": 1}, {"agent": {"hours": {"zone": "UTC"}}}) == {"a": 1, "agent": {"hours": {"zone": "UTC"}}}


def test_flatten_nest_and_changed_keys():
    overlay = {"promises": {"max_days_ahead": 40}, "profiles": {"cn": {"allowed_hours": ["09:00", "21:00"]}}}
    flat = ss.flatten(overlay)
    assert flat == {"promises.max_days_ahead": 40, "profiles.cn.allowed_hours": ["09:00", "21:00"]}
    assert ss.nest(flat) == overlay
    assert ss.changed_keys(overlay, {"promises": {"max_days_ahead": 41}}) == [
        "profiles.cn.allowed_hours", "promises.max_days_ahead"]
    assert "promises.max_days_ahead" in ss.keys(BASE) and "profiles.us_ma.caps" in ss.keys(BASE)


# --- saving ------------------------------------------------------------------------------------

def test_save_lands_as_version_1_then_2_with_audit(session):
    with session.begin():
        r1 = ss.save(session, {"promises": {"max_days_ahead": 40}}, "boss@x.test", "Q4 hardship push", NOW, BASE)
    assert r1.version == 1
    with session.begin():
        r2 = ss.save(session, {"promises": {"max_days_ahead": 40},
                               "profiles": {"us_first_party": {"allowed_hours": ["09:00", "20:00"]}}},
                     "ops@x.test", "complaints about 8am texts", NOW + dt.timedelta(hours=1), BASE, expected_version=1)
    assert r2.version == 2
    revs = ss.history(session)
    assert [(r.version, r.created_by, r.reason) for r in revs] == [
        (2, "ops@x.test", "complaints about 8am texts"), (1, "boss@x.test", "Q4 hardship push")]
    assert revs[0].body["profiles"]["us_first_party"]["allowed_hours"] == ["09:00", "20:00"]
    assert revs[0].created_at == NOW + dt.timedelta(hours=1)
    assert ss.latest(session).version == 2
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "settings_saved")
                            .order_by(AuditEntry.id)).all()
    assert [(a.actor, a.detail["version"], a.detail["reason"]) for a in audit] == [
        ("boss@x.test", 1, "Q4 hardship push"), ("ops@x.test", 2, "complaints about 8am texts")]
    assert audit[1].detail["changed"] == ["profiles.us_first_party.allowed_hours"]


def test_save_refuses_problems_and_needs_a_reason(session):
    with session.begin():
        with pytest.raises(ss.SettingsError) as exc:
            ss.save(session, {"promises": {"max_days_ahead": 40}}, "boss@x.test", "   ", NOW, BASE)
        assert exc.value.problems == ["say why: a reason is required"]
        with pytest.raises(ss.SettingsError) as exc:
            ss.save(session, {"profiles": {"us_first_party": {"allowed_hours": ["07:00", "21:00"]}}},
                    "boss@x.test", "earlier", NOW, BASE)
        assert exc.value.problems == [
            "profiles.us_first_party.allowed_hours 07:00–21:00 starts before the profile's 08:00 (US-01)"]
    assert session.scalar(select(func.count()).select_from(SettingsRevision)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_stale_save_is_refused(session_factory):
    with session_factory() as s, s.begin():
        ss.save(s, {"promises": {"max_days_ahead": 40}}, "a@x.test", "first", NOW, BASE, expected_version=0)
    with session_factory() as s, s.begin():
        with pytest.raises(ss.SettingsError) as exc:
            ss.save(s, {"promises": {"max_days_ahead": 35}}, "b@x.test", "second", NOW, BASE, expected_version=0)
    assert exc.value.problems[0].startswith("someone saved version 1 first (a@x.test, 2026-11-30 15:00 UTC)")


def test_concurrent_version_conflict_is_a_settings_error(session_factory, monkeypatch):
    """Two saves that both read version 0: the unique version refuses the second
    (IntegrityError → SettingsError), and its session stays usable."""
    with session_factory() as s, s.begin():
        ss.save(s, {"promises": {"max_days_ahead": 40}}, "a@x.test", "first", NOW, BASE)
    monkeypatch.setattr(ss, "latest", lambda session: None)      # as if it read before the first committed
    with session_factory() as s:
        with s.begin():
            with pytest.raises(ss.SettingsError) as exc:
                ss.save(s, {"promises": {"max_days_ahead": 35}}, "b@x.test", "second", NOW, BASE)
            assert exc.value.problems == ["someone saved version 1 first; reload and make your change there"]
            assert s.scalar(select(func.count()).select_from(SettingsRevision)) == 1   # savepoint only
    with session_factory() as s:
        assert [r.created_by for r in ss.history(s)] == ["a@x.test"]
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_racing_saves_one_wins(session_factory):
    barrier = threading.Barrier(2)
    results: list[object] = []

    def one(who: str) -> None:
        barrier.wait()
        try:
            with session_factory() as s, s.begin():
                rev = ss.save(s, {"promises": {"max_days_ahead": 40}}, who, "race", NOW, BASE, expected_version=0)
                results.append(rev.version)
        except ss.SettingsError as exc:
            results.append(exc.problems[0])

    threads = [threading.Thread(target=one, args=(w,)) for w in ("a@x.test", "b@x.test")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and results.count(1) == 1
    loser = next(r for r in results if r != 1)
    assert str(loser).startswith("someone saved version 1 first")
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(SettingsRevision)) == 1


# --- the runtime store -------------------------------------------------------------------------

class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_store_picks_up_a_new_version_only_after_ttl(engine, session_factory):
    tick = Tick()
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, *args):
        if "settings_revisions" in statement:
            statements.append(statement)

    store = ss.SettingsStore(session_factory, BASE, ttl_seconds=5.0, clock=tick)
    assert store.version() == 0
    assert store.behaviour()["promises"]["max_days_ahead"] == 30
    assert len(statements) == 1                                  # max(version) only: nothing saved
    with session_factory() as s, s.begin():
        ss.save(s, {"promises": {"max_days_ahead": 40}}, "a@x.test", "why", NOW, BASE)
    statements.clear()
    tick.t += 4.9
    assert store.behaviour()["promises"]["max_days_ahead"] == 30  # within the ttl: no database read
    assert statements == []
    tick.t += 0.2
    assert store.behaviour()["promises"]["max_days_ahead"] == 40
    assert store.version() == 1
    assert len(statements) == 2                                  # max(version), then the body
    assert store.behaviour()["promises"]["min_fraction_of_past_due"] == "0.10"   # the rest from config
    statements.clear()
    tick.t += 10
    store.behaviour()
    assert len(statements) == 1 and "max" in statements[0].lower()   # unchanged: the body is not re-read
    # invalidate(): this host saved, read at once
    with session_factory() as s, s.begin():
        ss.save(s, {}, "a@x.test", "back to config.toml", NOW, BASE)
    store.invalidate()
    assert store.behaviour()["promises"]["max_days_ahead"] == 30 and store.version() == 2
    event.remove(engine, "before_cursor_execute", count)


def test_store_ignores_stored_values_outside_todays_bounds(session_factory):
    with session_factory() as s, s.begin():      # saved when the bound was wider (written directly)
        s.add(SettingsRevision(version=1, body={"promises": {"max_days_ahead": 60, "min_fraction_of_past_due": "0.20"},
                                                "bogus": 1},
                               created_by="a@x.test", reason="old", created_at=NOW))
    store = ss.SettingsStore(session_factory, BASE, clock=Tick())
    b = store.behaviour()
    assert b["promises"]["max_days_ahead"] == 30 and b["promises"]["min_fraction_of_past_due"] == "0.20"
    assert store.overlay() == {"promises": {"min_fraction_of_past_due": "0.20"}}


def test_store_applies_to_settings_and_survives_a_database_error(session_factory, db_url):
    settings = load_settings(env={"DATABASE_URL": db_url, "SMS_TRANSPORT": "console"})
    tick = Tick()
    store = ss.SettingsStore(session_factory, settings.behaviour, ttl_seconds=1, clock=tick)
    with session_factory() as s, s.begin():
        ss.save(s, {"profiles": {"cn": {"allowed_hours": ["09:00", "21:00"]}}}, "a@x.test", "why", NOW,
                settings.behaviour)
    live = store.apply(settings)
    assert live.profile("cn")["allowed_hours"] == ["09:00", "21:00"]
    assert settings.profile("cn")["allowed_hours"] == ["08:00", "21:00"]   # CN-01 product default
    assert store.apply(settings) is live                       # one copy per version

    def broken():
        raise __import__("sqlalchemy").exc.OperationalError("select", {}, Exception("down"))

    store._sessions = broken
    tick.t += 5
    assert store.behaviour()["profiles"]["cn"]["allowed_hours"] == ["09:00", "21:00"]   # last good kept


def test_store_is_thread_safe(session_factory):
    with session_factory() as s, s.begin():
        ss.save(s, {"promises": {"max_days_ahead": 40}}, "a@x.test", "why", NOW, BASE)
    store = ss.SettingsStore(session_factory, BASE, ttl_seconds=0.0)
    seen: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                seen.append(store.behaviour()["promises"]["max_days_ahead"])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and set(seen) == {40} and len(seen) == 120


def test_load_settings_reads_the_config_file_named_in_the_env_it_is_given(tmp_path, monkeypatch):
    """``load_settings(env=…)`` takes ``DULY_CONFIG`` from that env, as it takes every other
    variable there, not from the process's environment (found when a test's
    ``lock_wait_seconds = 0.5`` never applied and it waited the default 10 s)."""
    from duly.config import load_settings

    monkeypatch.delenv("DULY_CONFIG", raising=False)
    repo = load_settings(env={"DATABASE_URL": "sqlite://"})
    assert repo.behaviour["redis"]["lock_wait_seconds"] == 10
    named = tmp_path / "duly.toml"
    named.write_text("[redis]\nlock_ttl_seconds = 30\nlock_wait_seconds = 0.5\n", encoding="utf-8")
    got = load_settings(env={"DATABASE_URL": "sqlite://", "DULY_CONFIG": str(named)})
    assert got.behaviour["redis"]["lock_wait_seconds"] == 0.5


def test_CN_01_default_21_00_admin_may_widen_only_to_the_22_00_legal_stop():
    """CN-01: config.toml's default ends 21:00 (margin); [bounds] profiles.cn.allowed_hours_max
    keeps 22:00 as the legal stop — an admin may set up to it, never past it."""
    assert BASE["profiles"]["cn"]["allowed_hours"] == ["08:00", "21:00"]
    assert ss.check({"profiles": {"cn": {"allowed_hours": ["08:00", "21:30"]}}}, BASE) == []
    assert ss.check({"profiles": {"cn": {"allowed_hours": ["08:00", "22:01"]}}}, BASE)
    assert ss.bound_text("profiles.cn.allowed_hours", BASE) == \
        "within 08:00–22:00 (CN-01, [bounds] profiles.cn.allowed_hours_max)"
    assert ss.bound_text("profiles.uk.allowed_hours", BASE) == "within 08:00–21:00 (UK-05)"
