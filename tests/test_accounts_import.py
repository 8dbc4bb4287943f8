"""storage.accounts: the Accounts CSV import (CONTRACT.md), on both backends."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.accounts import (ImportReport, check_identity, hash_identity, import_csv,
                              import_rows, infer_timezone, normalise_identity,
                              parse_money)
from storage.models import Account, AuditEntry, Consent, Conversation, Phone

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 29)


def _profiles() -> dict:
    with open(ROOT / "config.toml", "rb") as fh:
        return tomllib.load(fh)["profiles"]


def _kw(**over):
    kw = dict(default_region="US", default_currency="USD", default_profile="us_first_party",
              profiles=_profiles(), today=TODAY)
    kw.update(over)
    return kw


def _write(tmp_path, text: str, name="accounts.csv", bom=False) -> Path:
    p = tmp_path / name
    p.write_bytes((("\ufeff" if bom else "") + text).encode("utf-8"))
    return p


HEADER = ("account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,"
          "due_date,timezone,state,postal_code,country,language,creditor,profile,"
          "identity_check,consent_source,consent_at\n")


def test_good_and_bad_rows(tmp_path, session_factory):
    csv_text = HEADER + "".join([
        # line 2: good, every column
        "A-100,Ann Lee,(555) 555-0101,1234.50,30,200.00,35.00,USD,2026-12-15,"
        "America/Chicago,TX,73301,US,en,Acme Card,us_first_party,SW1A 1AA,web form,"
        "2026-01-02T03:04:05Z\n",
        # line 3: bad phone
        "A-101,Bob,12345,10.00,5,,,,,,,,,,,,,,\n",
        # line 4: bad money (too many decimals)
        "A-102,Cy,555.555.0102,12.345,5,,,,,,,,,,,,,,\n",
        # line 5: missing required name
        "A-103,,555 555 0103,10,5,,,,,,,,,,,,,,\n",
        # line 6: unknown profile
        "A-104,Di,555-555-0104,10,5,,,,,,,,,,,nowhere,,,\n",
        # line 7: bad timezone
        "A-105,Ed,555-555-0105,10,5,,,,,Mars/Olympus,,,,,,,,,\n",
        # line 8: good, minimal, Chinese
        "C-1,王芳,+86 138 0013 8000,2600,12,,,CNY,,,,,,zh,,cn,,,\n",
        # line 9: negative and garbage money, bad dpd
        "A-106,Fa,555-555-0106,-5,abc,1e3,,,,,,,,,,,,,\n",
        # line 10: bad language and due date
        "A-107,Gi,555-555-0107,10,5,,,,2026-13-01,,,,,fr,,,,,\n",
    ])
    path = _write(tmp_path, csv_text, bom=True)
    seen: list[int] = []
    with session_factory() as s:
        report = import_csv(s, path, progress=seen.append, **_kw())
        s.commit()
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 9, 10]
    assert (report.created, report.updated) == (2, 0)
    assert "phone" in errors[3] and "12345" in errors[3]
    assert "balance" in errors[4] and "decimals" in errors[4]
    assert "missing name" in errors[5]
    assert "unknown profile 'nowhere'" in errors[6]
    assert "timezone" in errors[7] and "Mars/Olympus" in errors[7]
    assert "negative" in errors[9] and "days_past_due" in errors[9] and "past_due" in errors[9]
    assert "language" in errors[10] and "due_date" in errors[10]
    assert seen == list(range(1, 10))

    with session_factory() as s:
        acc = s.scalars(select(Account).where(Account.account_ref == "A-100")).one()
        assert acc.name == "Ann Lee"
        assert (acc.balance_minor, acc.past_due_minor, acc.minimum_due_minor) == (123450, 20000, 3500)
        assert acc.currency == "USD" and acc.due_date == dt.date(2026, 12, 15)
        assert acc.delinquent_since == TODAY - dt.timedelta(days=30)
        assert acc.dpd(TODAY) == 30 and acc.dpd(TODAY + dt.timedelta(days=3)) == 33
        assert acc.timezone == "America/Chicago" and acc.state == "TX"
        assert acc.postal_code == "73301" and acc.country == "US"
        assert acc.creditor == "Acme Card" and acc.profile == "us_first_party"
        assert acc.consent_source == "web form"
        assert acc.consent_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert "SW1A" not in (acc.identity_hash or "") and acc.identity_hash.startswith("scrypt$")
        assert check_identity("sw1a1aa", acc.identity_hash)
        assert check_identity(" SW1A-1AA ", acc.identity_hash)
        assert not check_identity("SW1A 1AB", acc.identity_hash)
        assert [p.e164 for p in acc.phones] == ["+15555550101"]
        assert set(s.scalars(select(Account.account_ref))) == {"A-100", "C-1"}
        cn = s.scalars(select(Account).where(Account.account_ref == "C-1")).one()
        assert (cn.currency, cn.balance_minor, cn.timezone, cn.language) == (
            "CNY", 260000, "Asia/Shanghai", "zh")


def test_cn_row_and_defaults(session_factory):
    rows = [(2, {"account_ref": "C-1", "name": "王芳", "phone": "13800138000",
                 "balance": "2600", "days_past_due": "12", "language": "zh",
                 "profile": "cn"})]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw(default_region="CN"))
        s.commit()
        assert report == ImportReport(created=1, updated=0, errors=[])
        acc = s.scalars(select(Account)).one()
        assert acc.currency == "CNY"  # the cn profile's currency
        assert acc.balance_minor == 260000 and acc.past_due_minor == 260000
        assert acc.minimum_due_minor == 0
        assert acc.timezone == "Asia/Shanghai" and acc.language == "zh"
        assert acc.phones[0].e164 == "+8613800138000"


def test_reimport_updates_and_adds_phones(tmp_path, session_factory):
    p1 = _write(tmp_path, "account_ref,name,phone,balance,days_past_due,state\n"
                          "A-1,Ann,555-555-0101,100.00,10,CA\n", "one.csv")
    p2 = _write(tmp_path, "account_ref,name,phone,balance,days_past_due,minimum_due\n"
                          "A-1,Ann Lee,555-555-0102,80.00,40,25\n", "two.csv")
    with session_factory() as s:
        r1 = import_csv(s, p1, **_kw())
        s.commit()
        r2 = import_csv(s, p2, **_kw(today=TODAY + dt.timedelta(days=30)))
        s.commit()
    assert (r1.created, r1.updated, r1.errors) == (1, 0, [])
    assert (r2.created, r2.updated, r2.errors) == (0, 1, [])
    # the row's phone is the account's phone (US-12): the old number is detached, named by line
    assert [line for line, _ in r2.warnings] == [2, 2]
    assert "phone changed: old number +15555550101 detached" in r2.warnings[1][1]
    with session_factory() as s:
        acc = s.scalars(select(Account)).one()
        assert acc.name == "Ann Lee"
        assert acc.balance_minor == 8000 and acc.past_due_minor == 8000
        assert acc.minimum_due_minor == 2500
        assert acc.delinquent_since == TODAY + dt.timedelta(days=30) - dt.timedelta(days=40)
        assert acc.timezone == "America/Los_Angeles"  # from the first import's state, kept
        assert acc.state == "CA"
        assert sorted(p.e164 for p in acc.phones) == ["+15555550102"]


def test_one_phone_several_accounts(session_factory):
    rows = [(2, {"account_ref": "A-1", "name": "Ann", "phone": "+1 555 555 0101",
                 "balance": "10", "days_past_due": "3"}),
            (3, {"account_ref": "A-2", "name": "Ann", "phone": "(555) 555-0101",
                 "balance": "20", "days_past_due": "4"}),
            (4, {"account_ref": "A-3", "name": "Ann", "phone": "555.555.0101; 555 555 0109",
                 "balance": "30", "days_past_due": "5"})]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw())
        s.commit()
        assert (report.created, report.errors) == (3, [])
        refs = s.scalars(select(Account.account_ref).join(Phone)
                         .where(Phone.e164 == "+15555550101")
                         .order_by(Account.account_ref)).all()
        assert refs == ["A-1", "A-2", "A-3"]
        a3 = s.scalars(select(Account).where(Account.account_ref == "A-3")).one()
        assert sorted(p.e164 for p in a3.phones) == ["+15555550101", "+15555550109"]


def test_same_ref_twice_in_one_file(session_factory):
    """A later row repeating an account_ref seen earlier in the same import is named by
    line and skipped; the first row stands. (This test used to assert the merge: two
    customers' names, zones and phones on one account — the trial's disclosure bug.)"""
    rows = [(2, {"account_ref": "A-1", "name": "Ann", "phone": "555-555-0101",
                 "balance": "10", "days_past_due": "3"}),
            (3, {"account_ref": "A-1", "name": "Ann", "phone": "555-555-0102",
                 "balance": "12", "days_past_due": "3"})]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw())
        s.commit()
        assert (report.created, report.updated) == (1, 0)
        assert report.errors == [(3, "account_ref A-1 repeats line 2; skipped")]
        acc = s.scalars(select(Account)).one()
        assert acc.balance_minor == 1000 and [p.e164 for p in acc.phones] == ["+15555550101"]


def test_repeated_ref_never_merges_two_customers(tmp_path, session_factory):
    """The new-user trial: T-1 Alex Good (Los Angeles) on line 3 and a later T-1 "Dup Ref"
    (New York, another phone) on line 9 made one account with Dup Ref's name and zone and
    both phones, so Alex's phone was told Dup Ref's debt at 05:00 Alex's time (US-12,
    US-01). Now line 9 is named and skipped, the good rows land, T-1 stays Alex's."""
    text = ("account_ref,name,phone,balance,days_past_due,timezone\n"
            "T-0,Bea Park,+1 555 555 0110,50.00,15,America/Chicago\n"          # line 2
            "T-1,Alex Good,+1 555 555 0111,250.00,15,America/Los_Angeles\n"    # line 3
            "T-2,Cal Ng,+1 555 555 0112,60.00,15,America/Denver\n"             # line 4
            "T-3,Dee Roy,+1 555 555 0113,70.00,15,America/New_York\n"          # line 5
            "T-4,Eve Fox,+1 555 555 0114,80.00,15,America/New_York\n"          # line 6
            "T-5,Flo Hu,+1 555 555 0115,90.00,15,America/Chicago\n"            # line 7
            "T-6,Gus Li,+1 555 555 0116,95.00,15,America/Chicago\n"            # line 8
            "T-1,Dup Ref,+1 555 555 0120,100.00,15,America/New_York\n")        # line 9
    path = _write(tmp_path, text)
    with session_factory() as s:
        report = import_csv(s, path, **_kw())
        s.commit()
    assert (report.created, report.updated) == (7, 0)
    assert report.errors == [(9, "account_ref T-1 repeats line 3; skipped")]
    with session_factory() as s:
        t1 = s.scalars(select(Account).where(Account.account_ref == "T-1")).one()
        assert (t1.name, t1.timezone, t1.balance_minor) == ("Alex Good", "America/Los_Angeles", 25000)
        assert [p.e164 for p in t1.phones] == ["+15555550111"]
        assert s.scalar(select(Phone).where(Phone.e164 == "+15555550120")) is None


def test_a_repeat_of_a_bad_row_is_skipped_too(session_factory):
    """The file is ambiguous about who A-1 is whether or not its first row was good."""
    rows = [(2, {"account_ref": "A-1", "name": "Ann", "phone": "not a phone",
                 "balance": "10", "days_past_due": "3"}),
            (3, {"account_ref": "A-1", "name": "Bo", "phone": "555-555-0102",
                 "balance": "12", "days_past_due": "3"})]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw())
        s.commit()
        assert report.imported == 0 and [line for line, _ in report.errors] == [2, 3]
        assert report.errors[1] == (3, "account_ref A-1 repeats line 2; skipped")


def test_reimport_that_renames_an_account_is_reported(session_factory):
    """A later import that changes an account's name is applied (the loan system is
    authoritative: marriage, a corrected spelling) but named by line as a warning, so an
    account_ref reused for another person is seen. Case and spacing alone are no change."""
    def row(line, name, phone="555-555-0101"):
        return [(line, {"account_ref": "A-1", "name": name, "phone": phone, "balance": "10",
                        "days_past_due": "3"})]

    with session_factory() as s:
        assert import_rows(s, row(2, "Ann Lee"), **_kw()).warnings == []
        same = import_rows(s, row(2, "  ann  LEE "), **_kw())
        assert (same.updated, same.warnings) == (1, [])
        # another person with a number the account does not have is refused (an attack
        # showed the old number, its identity confirmed, then got the new person's debt)
        other = import_rows(s, row(5, "Bob Stone", "555-555-0102"), **_kw())
        assert other.updated == 0 and [line for line, _ in other.errors] == [5]
        assert "refused" in other.errors[0][1]
        renamed = import_rows(s, row(5, "Bob Stone"), **_kw())      # the same number: applied
        s.commit()
        assert (renamed.updated, renamed.errors) == (1, [])
        assert renamed.warnings == [(5, "account_ref A-1: name changed from 'ann  LEE' to 'Bob Stone' "
                                        "(updated; check it is the same customer)")]
        assert s.scalars(select(Account)).one().name == "Bob Stone"


def test_missing_header_column(tmp_path, session_factory):
    p = _write(tmp_path, "account_ref,name,balance,days_past_due\nA-1,Ann,1,1\n")
    with session_factory() as s:
        report = import_csv(s, p, **_kw())
    assert report.imported == 0
    assert report.errors == [(1, "missing column(s): phone")]


def test_line_numbers_follow_the_file(tmp_path, session_factory):
    text = ("account_ref,name,phone,balance,days_past_due\n"
            "A-1,\"Ann\nLee\",555-555-0101,1,1\n"   # lines 2-3
            "\n"                                    # line 4: blank
            "A-2,Bob,bad,1,1\n")                    # line 5
    p = _write(tmp_path, text)
    with session_factory() as s:
        report = import_csv(s, p, **_kw())
    assert report.created == 1
    assert [line for line, _ in report.errors] == [5]


def test_not_utf8(tmp_path, session_factory):
    p = tmp_path / "latin1.csv"
    p.write_bytes("account_ref,name,phone,balance,days_past_due\nA-1,Jos\xe9,555-555-0101,1,1\n"
                  .encode("latin-1"))
    with session_factory() as s:
        report = import_csv(s, p, **_kw())
    assert report.imported == 0 and report.errors[0][0] == 1


@pytest.mark.parametrize("text, currency, minor", [
    ("1234.50", "USD", 123450), ("1,234.5", "USD", 123450), ("0", "USD", 0),
    ("0.01", "USD", 1), ("500", "JPY", 500), ("1.234", "KWD", 1234),
    ("99999999999.99", "USD", 9999999999999), (" 12.3 ", "GBP", 1230),
])
def test_parse_money(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize("text, currency", [
    ("12.345", "USD"), ("-5", "USD"), ("1e3", "USD"), ("abc", "USD"), ("", "USD"),
    ("$12", "USD"), ("12.5", "JPY"), ("NaN", "USD"), ("1,23.00", "USD"), ("12.", "USD"),
])
def test_parse_money_rejects(text, currency):
    with pytest.raises(ValueError):
        parse_money(text, currency)


def test_identity_hash_is_salted():
    a, b = hash_identity("1984"), hash_identity("1984")
    assert a != b and check_identity("1984", a) and check_identity("1984", b)
    assert normalise_identity(" SW1A\u00a01AA ") == "sw1a1aa"
    assert not check_identity("1984", None) and not check_identity("1984", "garbage")
    with pytest.raises(ValueError):
        hash_identity(" - ")


def test_infer_timezone():
    assert infer_timezone("+15555550101", "CA") == "America/Los_Angeles"
    assert infer_timezone("+12125550123", None) == "America/New_York"
    assert infer_timezone("+15555550101", None) == "America/New_York"  # region default
    assert infer_timezone("+8613800138000") == "Asia/Shanghai"
    assert infer_timezone("+12125550123", "ON", "CA") == "America/Toronto"  # an address abroad (US-02)
    assert infer_timezone("+12125550147", None, "GB") == "Europe/London"     # moved to London


def test_US_02_address_zones_add_a_country_abroad_whole():
    """US-02: a US state gives its zone; a country other than the phone's gives every zone
    of that country (tzdata's zone.tab); a country the phone already places the customer
    in adds nothing (the number's zones are the finer guess)."""
    from storage.accounts import address_zones, country_zones

    assert address_zones("+12125550123", "CA") == ("America/Los_Angeles",)
    assert address_zones("+12125550147", None, "GB") == ("Europe/London",)
    canada = address_zones("+442071838750", None, "CA")
    assert {"America/St_Johns", "America/Toronto", "America/Vancouver"} <= set(canada)
    assert canada == country_zones("CA")
    assert address_zones("+12125550123", None, "US") == ()        # the phone's own country
    assert address_zones("+447700900123", None, "GB") == ()
    assert address_zones("+12125550123", "ON", "CA") == country_zones("CA")
    assert country_zones("ZZ") == () and country_zones("") == ()


def test_profile_resolves_from_state_when_config_has_it(session_factory):
    """An MA address picks ``us_ma`` once config defines it; a named profile always wins."""
    profiles = {**_profiles(), "us_ma": {"regime": "first_party", "jurisdiction": "US-MA"}}
    rows = [(2, {"account_ref": "MA-1", "name": "M", "phone": "555-555-0111", "balance": "10",
                 "days_past_due": "3", "state": "MA"}),
            (3, {"account_ref": "TX-1", "name": "T", "phone": "555-555-0112", "balance": "10",
                 "days_past_due": "3", "state": "TX"}),
            (4, {"account_ref": "MA-2", "name": "N", "phone": "555-555-0113", "balance": "10",
                 "days_past_due": "3", "state": "MA", "profile": "us_third_party"}),
            (5, {"account_ref": "GB-1", "name": "G", "phone": "+44 7700 900123", "balance": "10",
                 "days_past_due": "3", "country": "GB"})]
    with session_factory() as s:
        report = import_rows(s, rows, **_kw(profiles=profiles))
        s.commit()
        assert report.errors == []
        got = dict(s.execute(select(Account.account_ref, Account.profile)).all())
    assert got == {"MA-1": "us_ma", "TX-1": "us_first_party", "MA-2": "us_third_party", "GB-1": "uk"}


def test_US_10_consent_rows_on_import_idempotent(session_factory):
    from storage.models import Consent

    rows = [(2, {"account_ref": "C-1", "name": "C", "phone": "555-555-0121", "balance": "10",
                 "days_past_due": "3", "consent_source": "signup"})]
    now = dt.datetime(2026, 11, 29, 12, tzinfo=dt.timezone.utc)
    with session_factory() as s:
        for i in range(2):
            import_rows(s, rows, now=now + dt.timedelta(days=i), **_kw())
        s.commit()
        consents = s.scalars(select(Consent)).all()
    assert [(c.phone, c.source, c.consented_at) for c in consents] == [("+15555550121", "signup", now)]


def test_CN_09_a_twilio_deployment_refuses_cn_rows_by_line_and_keeps_starting(tmp_path):
    """Found by a new operator: importing the sample file (which has a CN-profile row) into
    a Twilio deployment landed the CN account, and from then on `duly serve` and
    `duly worker` refused to start (CN-09) — with no command to remove it. Now the import
    names that row and skips it; the good rows land and the next start-up is allowed."""
    from duly.accounts_cli import import_file
    from runner.transports import cn09_problem
    from storage import db as storage_db
    from tests.live import settings_for

    url = f"sqlite:///{tmp_path / 'd.db'}"
    settings = settings_for(url, SMS_TRANSPORT="twilio", TWILIO_ACCOUNT_SID="AC" + "0" * 32,
                            TWILIO_FROM="+15555550100")
    assert settings.transport == "twilio"
    engine = storage_db.make_engine(url)
    storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    try:
        sample = Path(__file__).resolve().parents[1] / "duly" / "demo_accounts.csv"
        report = import_file(settings, sessions, sample)
        cn_lines = [i + 1 for i, line in enumerate(sample.read_text("utf-8").splitlines()) if ",cn," in line]
        assert [line for line, _ in report.errors] == cn_lines and len(cn_lines) == 1
        assert report.errors[0][1].startswith("profile: CN-09:")
        assert report.created == 4
        assert cn09_problem(settings, sessions) is None
        # the console transport (the demo) takes the same file whole
        console = settings_for(url)
        assert import_file(console, sessions, sample).errors == []
    finally:
        engine.dispose()


def _one(ref, name, phone, line=2, **more):
    return [(line, {"account_ref": ref, "name": name, "phone": phone, "balance": "500",
                    "days_past_due": "20", **more})]


def test_phone_change_detaches_the_old_number(session_factory):
    """The new-user trial: P-69 re-imported with a new phone answered "updated": 1 and the
    OLD number still got "Hi Pat … Your balance is $500.00" (US-12: a reassigned number
    would). The row's phones are the account's phones: the old link goes, named by line,
    audited; its consent is revoked and conversations on it forget the account."""
    now = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.timezone.utc)
    with session_factory() as s:
        import_rows(s, _one("P-69", "Pat Kim", "+1 555 555 0169", consent_source="app"), **_kw(now=now))
        acct = s.scalars(select(Account)).one()
        s.add(Conversation(customer_phone="+15555550169", our_number="+15550000000", state="menu",
                           slots={"account_ref": "P-69", "identity_confirmed": ["P-69"]}, mode="bot",
                           account_id=acct.id, version=0, created_at=now, updated_at=now))
        s.commit()
        r = import_rows(s, _one("P-69", "Pat Kim", "+1 555 555 0170", line=7), **_kw(now=now))
        s.commit()
        assert (r.updated, r.errors) == (1, [])
        assert r.warnings == [(7, "account_ref P-69: phone changed: old number +15555550169 detached (US-12: "
                                  "it is told nothing about this debt again; its waiting texts are refused)")]
        assert [p.e164 for p in s.scalars(select(Account)).one().phones] == ["+15555550170"]
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "phone_detached")).one()
        assert audit.detail["phone"] == "+15555550169" and audit.detail["account_ref"] == "P-69"
        assert audit.detail["rule"] == "US-12" and audit.actor == "import"
        consent = s.scalars(select(Consent).where(Consent.phone == "+15555550169")).one()
        assert consent.revoked_at is not None          # kept as history, no longer in force
        conv = s.scalars(select(Conversation)).one()
        assert conv.account_id is None and "account_ref" not in conv.slots
        assert conv.slots["identity_confirmed"] == []
        # the same row again: nothing more to detach, no warning
        again = import_rows(s, _one("P-69", "Pat Kim", "+1 555 555 0170"), **_kw(now=now))
        assert (again.updated, again.warnings) == (1, [])


def test_a_quarantined_number_is_kept_quarantined(session_factory):
    """US-12: a wrong number the import no longer lists keeps its quarantined link, so a
    later import bringing it back does not reopen it."""
    now = dt.datetime(2026, 11, 29, 15, 0, tzinfo=dt.timezone.utc)
    with session_factory() as s:
        import_rows(s, _one("Q-1", "Quinn Ray", "+1 555 555 0171"), **_kw())
        s.scalars(select(Phone)).one().quarantined_at = now
        r = import_rows(s, _one("Q-1", "Quinn Ray", "+1 555 555 0172"), **_kw())
        assert r.warnings == []
        back = import_rows(s, _one("Q-1", "Quinn Ray", "+1 555 555 0171; +1 555 555 0172"), **_kw())
        assert back.errors == []
        old = s.scalars(select(Phone).where(Phone.e164 == "+15555550171")).one()
        assert old.quarantined_at is not None


def test_rename_with_a_new_phone_is_still_refused(session_factory):
    """The rename rule holds with detaching: another person with a new number is refused by
    line and the account keeps its number (nothing detached)."""
    with session_factory() as s:
        import_rows(s, _one("A-1", "Olivia Hughes", "+1 555 555 0101"), **_kw())
        r = import_rows(s, _one("A-1", "Peter Smith", "+1 555 555 0102", line=4), **_kw())
        assert r.updated == 0 and [line for line, _ in r.errors] == [4] and r.warnings == []
        assert [p.e164 for p in s.scalars(select(Account)).one().phones] == ["+15555550101"]
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "phone_detached")) is None


def test_two_holders_on_one_phone_are_named(session_factory):
    """The trial: T-1 "Alex Good" and T-15 "Zed Shared" on +1 555 555 0111 imported
    silently. The second holder's row lands and is named by line (US-12/UK-06/CN-02);
    one holder's several accounts ("Sam Ortega" twice, "Ann" / "Ann Lee") are not."""
    rows = [(2, {"account_ref": "T-1", "name": "Alex Good", "phone": "+1 555 555 0111",
                 "balance": "250", "days_past_due": "15", "creditor": "Northwind Card Services"}),
            (3, {"account_ref": "T-15", "name": "Zed Shared", "phone": "+1 555 555 0111",
                 "balance": "400", "days_past_due": "15", "creditor": "Other Bank"}),
            (4, {"account_ref": "S-1", "name": "Ann", "phone": "+1 555 555 0120",
                 "balance": "1", "days_past_due": "1"}),
            (5, {"account_ref": "S-2", "name": "Ann Lee", "phone": "+1 555 555 0120",
                 "balance": "1", "days_past_due": "1"})]
    with session_factory() as s:
        r = import_rows(s, rows, **_kw())
        assert (r.created, r.errors) == (4, [])
        assert r.warnings == [(3, "account_ref T-15: phone +15555550111 also belongs to account_ref T-1 of "
                                  "another holder ('Alex Good') — imported; the bot tells that phone neither "
                                  "debt and hands it to a person (US-12/UK-06); check the numbers")]
