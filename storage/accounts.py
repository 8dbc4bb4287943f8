"""Accounts import (CSV file or JSON rows), as in CONTRACT.md "Accounts CSV".

Each row is validated on its own; a bad row is reported by its line number with
the reasons and skipped, good rows are written (one SAVEPOINT per row, so a row
that fails at the database leaves the others alone). Re-importing an
``account_ref`` updates that account — the imported balance is authoritative —
and makes the row's phones the account's phones: new numbers are linked, and a number
the account had that the row no longer lists is detached and named as a warning
(``phone changed: old number … detached``; US-12 — it may be someone else's now). A
row whose phone already serves an account of a holder sharing no name part with the
row's is imported and named as a warning (US-12, UK-06, CN-02). A row that
repeats an ``account_ref`` seen earlier in the same import is skipped and named
(two rows with one reference are two customers merged into one account unless
refused: one person's debt told to another's phone). A re-import that changes an
account's name is applied and reported as a warning.

Money: decimal strings in major units (``"1234.50"``, ``"1,234.50"``) become
integer minor units exactly (``Decimal``, never ``float``); more decimals than
the currency has, negatives, exponents and garbage are refused.

The functions here flush but do not commit (except ``import_csv`` with
``commit_every``): the caller owns the transaction.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import money
from bot.names import fold, names_overlap, same_name
from bot.phones import normalise_phone, region_of, timezone_candidates

from .models import Account, AuditEntry, Consent, Conversation, Phone
from .types import UTC

__all__ = [
    "ImportReport", "import_rows", "import_csv", "parse_money", "currency_exponent",
    "hash_identity", "check_identity", "normalise_identity", "infer_timezone",
    "address_zones", "country_zones",
    "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "US_STATE_ZONES", "resolve_profile",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("account_ref", "name", "phone", "balance",
                                     "days_past_due")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "past_due", "minimum_due", "currency", "due_date", "timezone", "state",
    "postal_code", "country", "language", "creditor", "profile", "identity_check",
    "consent_source", "consent_at")

LANGUAGES = ("en", "zh")

#: A representative IANA zone per US state (+ DC), the state's most populous
#: zone. States spanning zones (e.g. TX, FL, IN) get their majority zone; the
#: outbound gate still considers every candidate zone (US-02).
US_STATE_ZONES: dict[str, str] = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
}

#: Last-resort zone per phone region when neither the row, the state nor the
#: number's own metadata places the customer (e.g. fictional 555-01XX numbers).
REGION_DEFAULT_ZONES: dict[str, str] = {
    "US": "America/New_York", "CA": "America/Toronto", "CN": "Asia/Shanghai",
    "GB": "Europe/London", "HK": "Asia/Hong_Kong", "SG": "Asia/Singapore",
    "TW": "Asia/Taipei", "IE": "Europe/Dublin",
}

_MONEY_RE = re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.(\d+))?$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


# --- report -----------------------------------------------------------------------------

@dataclass
class ImportReport:
    """Outcome of an import: rows ``created`` and ``updated``, ``errors`` as
    ``(line_number, reason)`` for each skipped row (header is line 1), and ``warnings``
    as ``(line_number, text)`` for rows that landed but need a look (an existing
    account's name changed; an old number detached, US-12; a phone that also serves
    another holder's account, US-12/UK-06/CN-02)."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Rows written (created + updated)."""
        return self.created + self.updated


# --- values -----------------------------------------------------------------------------

def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 code (2 unless listed: JPY 0, KWD 3...);
    the one table lives in :mod:`bot.money`."""
    return money.exponent(currency)


#: The largest amount Duly stores, in minor units (far above any consumer debt; well
#: inside a 64-bit column on every database).
MAX_MINOR = 10**15


def parse_money(text: str, currency: str) -> int:
    """A major-unit decimal string → integer minor units of ``currency``, exactly.

    ``"1234.50"`` USD → 123450; ``"1,234.5"`` → 123450; ``"500"`` JPY → 500.
    Raises ``ValueError`` for negatives, exponents, symbols, more decimals than
    the currency allows (``"12.345"`` USD) or anything that is not a number.
    """
    s = (text or "").strip()
    m = _MONEY_RE.match(s)
    if not m:
        if s.startswith("-"):
            raise ValueError(f"negative amount {text!r}")
        raise ValueError(f"not an amount {text!r} (expected e.g. 1234.50)")
    exp = currency_exponent(currency)
    decimals = m.group(1) or ""
    if len(decimals) > exp:
        raise ValueError(f"{text!r} has more decimals than {currency} allows ({exp})")
    try:
        value = Decimal(s.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - regex guards this
        raise ValueError(f"not an amount {text!r}") from exc
    minor = int(value.scaleb(exp))
    if minor > MAX_MINOR:
        raise ValueError(f"{text!r} is larger than any account Duly holds")
    return minor


def normalise_identity(value: str) -> str:
    """The comparable form of an identity-check answer: NFKC, casefolded, letters
    and digits only (``" SW1A 1AA "`` → ``"sw1a1aa"``)."""
    v = unicodedata.normalize("NFKC", value or "").casefold()
    return "".join(ch for ch in v if ch.isalnum())


_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2 ** 14, 8, 1, 32


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def hash_identity(value: str) -> str:
    """Hash an identity-check value (normalised by :func:`normalise_identity`) with
    scrypt and a fresh 16-byte salt. Returns ``"scrypt$N$r$p$salt$hash"``
    (URL-safe base64, parameters stored so they can be raised later). Raises
    ``ValueError`` for a value with no letters or digits."""
    norm = normalise_identity(value)
    if not norm:
        raise ValueError("identity value is empty after normalisation")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(norm.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=_SCRYPT_LEN)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_identity(value: str, stored: str | None) -> bool:
    """Whether ``value`` (as the customer typed it) matches a hash made by
    :func:`hash_identity`. Constant-time compare; ``False`` for malformed hashes."""
    if not stored:
        return False
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        want = _unb64(digest)
        got = hashlib.scrypt(normalise_identity(value).encode("utf-8"), salt=_unb64(salt),
                             n=int(n), r=int(r), p=int(p), dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


@functools.lru_cache(maxsize=None)
def country_zones(country: str | None) -> tuple[str, ...]:
    """Every IANA zone of ISO 3166 alpha-2 ``country`` (``"GB"`` → ``("Europe/London",)``;
    ``"CA"`` → the six Canadian offsets' zones), as IANA's ``zone.tab`` lists them (shipped
    by the ``tzdata`` dependency; the system's copy when that is missing), else the
    country's :data:`REGION_DEFAULT_ZONES` entry, else ``()``. US-02: an address that says
    only the country may be anywhere in it."""
    c = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", c):
        return ()
    zones = tuple(z for z in _zone_tab().get(c, ()) if _known_zone(z))
    if not zones and c in REGION_DEFAULT_ZONES:
        zones = (REGION_DEFAULT_ZONES[c],)
    return zones


@functools.lru_cache(maxsize=1)
def _zone_tab() -> dict[str, tuple[str, ...]]:
    """``zone.tab``: country code → zones, in the file's order."""
    text = ""
    try:
        import importlib.resources as resources

        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ImportError, OSError, ValueError):
        for root in ("/usr/share/zoneinfo", "/usr/lib/zoneinfo"):
            try:
                text = Path(root, "zone.tab").read_text(encoding="utf-8")
                break
            except OSError:
                continue
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out.setdefault(parts[0].strip().upper(), []).append(parts[2].strip())
    return {k: tuple(v) for k, v in out.items()}


def _known_zone(zone: str) -> bool:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def address_zones(e164: str | None, state: str | None = None,
                  country: str | None = None) -> tuple[str, ...]:
    """US-02: the candidate zones the mailing address adds to the phone number's.

    A US state (address in the US or with no country) → the state's zone
    (:data:`US_STATE_ZONES`). A country other than the phone's own, none of whose zones
    the number already places the customer in (a customer who kept her New York mobile
    and moved to London), → every zone of that country (:func:`country_zones`): she may
    be anywhere in it, and the strictest window of them all wins. A country the phone
    already places her in adds nothing (the number's zones are the finer guess)."""
    st = (state or "").strip().upper()
    c = (country or "").strip().upper()
    if st in US_STATE_ZONES and c in ("", "US"):
        return (US_STATE_ZONES[st],)
    if not c:
        return ()
    zones = country_zones(c)
    if not zones or not e164:
        return zones
    if region_of(e164) == c or any(z in zones for z in timezone_candidates(e164)):
        return ()
    return zones


def infer_timezone(e164: str, state: str | None = None,
                   country: str | None = None) -> str | None:
    """Best single IANA zone for a customer with no ``timezone`` column: the address's
    zone (:func:`address_zones`: a US state's; for an address in another country than the
    phone's, that country's main zone — :data:`REGION_DEFAULT_ZONES`, else its first
    ``zone.tab`` zone; US-02), else the phone number's first time-zone candidate, else
    the phone region's default zone (:data:`REGION_DEFAULT_ZONES`). ``None`` when
    nothing places it. The outbound gate still considers every candidate zone."""
    addr = address_zones(e164, state, country)
    if addr:
        main = REGION_DEFAULT_ZONES.get((country or "").strip().upper())
        return main if main in addr else addr[0]
    cands = timezone_candidates(e164)
    if cands:
        return cands[0]
    region = (country or "").upper() or region_of(e164)
    return REGION_DEFAULT_ZONES.get(region or "")


def _parse_date(text: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{column}: not an ISO date {text!r} (expected YYYY-MM-DD)") from None


def _parse_datetime(text: str, column: str) -> dt.datetime:
    """ISO date or datetime; naive values are taken as UTC."""
    s = text.strip()
    try:
        value = dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        raise ValueError(f"{column}: not an ISO date-time {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def resolve_profile(default_profile: str, profiles: Mapping[str, Any], *,
                    state: str | None = None, country: str | None = None) -> str:
    """The jurisdiction profile for an account whose row names none.

    US state rules are stricter than federal ones: an address in a US state ``XX`` (no
    country, or ``US``) picks the first profile that exists of ``us_xx_<regime>`` and
    ``us_xx`` (``<regime>`` = the default profile's ``regime``, e.g. ``first_party``) —
    state MA → ``us_ma`` once config defines it. A non-US ``country`` picks the profile
    whose ``jurisdiction`` is that country (``GB`` → ``UK``) and whose regime matches the
    default's, when exactly one does. Otherwise ``default_profile``.
    """
    base = profiles.get(default_profile) or {}
    regime = str(base.get("regime", "")) if isinstance(base, Mapping) else ""
    st = (state or "").strip().lower()
    ctry = (country or "").strip().upper()
    if st and ctry in ("", "US"):
        for name in ((f"us_{st}_{regime}", f"us_{st}") if regime else (f"us_{st}",)):
            if name in profiles:
                return name
        return default_profile
    if ctry and ctry != "US":
        juris = "UK" if ctry == "GB" else ctry
        base_j = str(base.get("jurisdiction", "")).upper() if isinstance(base, Mapping) else ""
        if base_j == juris:
            return default_profile
        found = [n for n, p in profiles.items() if isinstance(p, Mapping)
                 and str(p.get("jurisdiction", "")).upper() == juris
                 and (not regime or str(p.get("regime", regime)) == regime)]
        if len(found) == 1:
            return found[0]
    return default_profile


# --- one row ------------------------------------------------------------------------------

@dataclass
class _Row:
    values: dict[str, Any]      # Account attributes to set (only what the row decides)
    consent: tuple[str, dt.datetime | None] | None  # (source, at) when the row gives a source
    create_defaults: dict[str, Any]  # set only when the account is created
    phones: list[str]
    infer_tz: bool               # timezone not given: infer (on create, or when the address places it)


def _clean(row: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in row.items():
        if k is None:
            continue
        key = str(k).strip().lower()
        if v is None:
            out[key] = ""
        elif isinstance(v, float):
            out[key] = repr(v)
        else:
            out[key] = str(v).strip()
    return out


def _validate(raw: Mapping[str, Any], *, default_region: str, default_currency: str,
              default_profile: str, default_language: str, profiles: Mapping[str, Any],
              today: dt.date, refused_profiles: Mapping[str, str] | None = None) -> _Row:
    """Turn one row into attribute values; raise ``ValueError("reason; reason")``."""
    r = _clean(raw)
    problems: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if not r.get(c)]
    if missing:
        problems.append("missing " + ", ".join(missing))

    values: dict[str, Any] = {}
    create_defaults: dict[str, Any] = {}

    if r.get("account_ref"):
        if len(r["account_ref"]) > 64:
            problems.append("account_ref: longer than 64 characters")
        values["account_ref"] = r["account_ref"]
    if r.get("name"):
        values["name"] = r["name"][:200]

    profile = r.get("profile") or resolve_profile(
        default_profile, profiles, state=r.get("state"), country=r.get("country"))
    if profile in (refused_profiles or {}):
        problems.append(f"profile: {(refused_profiles or {})[profile]}")
    if profile not in profiles:
        problems.append(f"profile: unknown profile {profile!r}")
        profile_conf: Mapping[str, Any] = {}
    else:
        profile_conf = profiles[profile] or {}
    if r.get("profile") or profile != default_profile:
        values["profile"] = profile  # named, or resolved from the address: the row decides
    else:
        create_defaults["profile"] = profile

    currency = (r.get("currency") or profile_conf.get("currency") or default_currency).upper()
    if not _CURRENCY_RE.match(currency):
        problems.append(f"currency: not an ISO 4217 code {currency!r}")
        currency = default_currency
    values["currency"] = currency

    def money(col: str) -> int | None:
        if not r.get(col):
            return None
        try:
            return parse_money(r[col], currency)
        except ValueError as exc:
            problems.append(f"{col}: {exc}")
            return None

    balance = money("balance")
    past_due = money("past_due")
    minimum_due = money("minimum_due")
    if balance is not None:
        # G-02: the ledger's amounts must agree before Duly states any of them
        if past_due is not None and past_due > balance:
            problems.append("past_due: larger than the balance")
        if minimum_due is not None and minimum_due > balance:
            problems.append("minimum_due: larger than the balance")
        values["balance_minor"] = balance
        values["past_due_minor"] = past_due if past_due is not None else balance
    if minimum_due is not None:
        values["minimum_due_minor"] = minimum_due
    else:
        create_defaults["minimum_due_minor"] = 0

    if r.get("days_past_due"):
        dpd_text = r["days_past_due"]
        if not re.fullmatch(r"\d{1,5}", dpd_text):
            problems.append(f"days_past_due: not a whole number of days {dpd_text!r}")
        elif int(dpd_text) == 0:
            # current (cured): no delinquency episode, so no cadence until a later
            # import says it is past due again
            values["delinquent_since"] = None
        else:
            values["delinquent_since"] = today - dt.timedelta(days=int(dpd_text))

    for col in ("due_date",):
        if r.get(col):
            try:
                values[col] = _parse_date(r[col], col)
            except ValueError as exc:
                problems.append(str(exc))
    if r.get("consent_at"):
        try:
            values["consent_at"] = _parse_datetime(r["consent_at"], "consent_at")
        except ValueError as exc:
            problems.append(str(exc))

    phones: list[str] = []
    if r.get("phone"):
        for part in re.split(r"[;|]", r["phone"]):
            if not part.strip():
                continue
            e164 = normalise_phone(part, default_region)
            if e164 is None:
                problems.append(f"phone: cannot normalise {part.strip()!r}")
            elif e164 not in phones:
                phones.append(e164)

    state = r.get("state", "").upper() or None
    country = r.get("country", "").upper() or None
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        problems.append(f"country: not an ISO 3166 alpha-2 code {country!r}")
    if state:
        values["state"] = state[:32]
    if country:
        values["country"] = country
    if r.get("postal_code"):
        values["postal_code"] = r["postal_code"][:32]

    infer_tz = False
    if r.get("timezone"):
        tz = r["timezone"]
        try:
            if tz not in zoneinfo.available_timezones():
                raise zoneinfo.ZoneInfoNotFoundError(tz)
            zoneinfo.ZoneInfo(tz)
            values["timezone"] = tz
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"timezone: unknown IANA zone {tz!r}")
    elif phones:
        tz = infer_timezone(phones[0], state, country)
        if tz is None:
            problems.append("timezone: not given and cannot be inferred from phone or state")
        else:
            infer_tz = True
            if state or address_zones(phones[0], state, country):
                values["timezone"] = tz
            else:
                create_defaults["timezone"] = tz

    if r.get("language"):
        lang = r["language"].lower()
        if lang not in LANGUAGES:
            problems.append(f"language: {r['language']!r} is not one of {', '.join(LANGUAGES)}")
        values["language"] = lang
    else:
        create_defaults["language"] = default_language

    for col in ("creditor", "consent_source"):
        if r.get(col):
            values[col] = r[col][:200]
    if r.get("identity_check"):
        try:
            values["identity_hash"] = hash_identity(r["identity_check"])
        except ValueError as exc:
            problems.append(f"identity_check: {exc}")

    if problems:
        raise ValueError("; ".join(problems))
    consent = (values["consent_source"], values.get("consent_at")) if values.get("consent_source") else None
    return _Row(values=values, consent=consent, create_defaults=create_defaults, phones=phones,
                infer_tz=infer_tz)


_fold = fold              # how names and references compare (bot.names)
_same_name = same_name


class RowRefused(ValueError):
    """A row that validates but cannot be applied to what is stored (the message names why)."""


def _ref_key(ref: str) -> str:
    """An account_ref as the in-file repeat check compares it: NFKC (full-width letters),
    casefolded, without spaces or zero-width characters — "T-1", "t-1", "Ｔ-1", "T\u200b-1"
    and "T -1" are one reference written five ways, not five customers (US-20)."""
    return "".join(ch for ch in _fold(ref) if not ch.isspace() and unicodedata.category(ch) != "Cf")


_names_overlap = names_overlap   # shared with the dialog engine (bot.names)


@dataclass
class _Applied:
    """What :func:`_apply` did to one row's account."""

    created: bool
    renamed_from: str | None = None
    #: numbers the account had and the row no longer lists: detached (US-12)
    detached: list[str] = field(default_factory=list)
    #: (phone, other account_ref, other name): the row's numbers that also serve an
    #: account of a holder sharing no name part with this row's (US-12, UK-06, CN-02)
    shared: list[tuple[str, str, str]] = field(default_factory=list)


def _detach(session: Session, account: Account, link: Phone, now: dt.datetime) -> None:
    """Detach number ``link`` from ``account``: the loan system no longer lists it, so it
    may already be someone else's (a reassigned number). The link row is deleted — every
    reader (the inbound facts, the outbound gate at dispatch, the campaign, holds, the
    console) reads an account's numbers from it, so the number is at once unknown for this
    account and a text still waiting for it is refused at dispatch (US-12:
    :func:`runner.outbound.resolve` sets ``GateContext.detached``). History stays: an
    audit entry (``phone_detached``), the messages, and the consent records, which are
    revoked (US-10: the consent was the old holder's). Conversations with that number
    forget the account (chosen account, identity confirmed for it)."""
    ref = account.account_ref
    session.add(AuditEntry(actor="import", action="phone_detached", created_at=now,
                           detail={"rule": "US-12", "account_ref": ref, "phone": link.e164,
                                   "linked_at": link.created_at.isoformat() if link.created_at else None}))
    for c in session.scalars(select(Consent).where(
            Consent.phone == link.e164, Consent.account_id == account.id, Consent.revoked_at.is_(None))):
        c.revoked_at = now
    for conv in session.scalars(select(Conversation).where(Conversation.customer_phone == link.e164)):
        slots = dict(conv.slots or {})
        changed = False
        if slots.get("account_ref") == ref:
            slots.pop("account_ref")
            changed = True
        for key in ("identity_confirmed", "account_choices"):
            if ref in (slots.get(key) or ()):
                slots[key] = [r for r in slots[key] if r != ref]
                changed = True
        if changed:
            conv.slots = slots
        if conv.account_id == account.id:
            conv.account_id = None
    session.delete(link)


def _apply(session: Session, row: _Row, now: dt.datetime) -> _Applied:
    """Upsert one validated row and say what changed (:class:`_Applied`): whether the
    account was created, its name before this row when the row changed it (another
    spelling is a change; case and spacing alone are not), the numbers it detached and
    the numbers it shares with another holder.

    Raises :class:`RowRefused` for a rename to a name sharing no part with the stored
    one ("Olivia Hughes" → "Peter Smith") that also brings a phone the account does not
    have: that is another person on an existing account_ref, and the account's old
    numbers — whose holder may have confirmed their identity already — would get the new
    person's debt (UK-06, US-12). A spelling fix, a new surname ("Ann" → "Ann Lee") or a
    rename on the same numbers is applied, with a warning.

    The row's phones are the account's phones (the loan system is the record): a number
    the account has and the row does not list is detached (:func:`_detach`, US-12) —
    except a quarantined one (a wrong number), whose link stays as it is so that the
    quarantine holds when a later import brings the number back (US-12)."""
    account = session.scalar(
        select(Account).where(Account.account_ref == row.values["account_ref"]))
    out = _Applied(created=account is None)
    if account is None:
        account = Account(**row.create_defaults, **row.values)
        session.add(account)
    else:
        if "name" in row.values and not _same_name(account.name, row.values["name"]):
            out.renamed_from = account.name
            have = set(session.scalars(select(Phone.e164).where(Phone.account_id == account.id)))
            if any(e164 not in have for e164 in row.phones) and not _names_overlap(account.name, row.values["name"]):
                raise RowRefused(
                    f"account_ref {row.values['account_ref']} belongs to {account.name!r}; this row names "
                    f"{row.values['name']!r} with a phone the account does not have — refused (UK-06/US-12: "
                    "its numbers would get another person's debt); give the new customer their own account_ref")
        for key, value in row.values.items():
            setattr(account, key, value)
    session.flush()
    links = list(session.scalars(select(Phone).where(Phone.account_id == account.id).order_by(Phone.id)))
    linked = {p.e164 for p in links}
    if row.phones:
        for link in links:
            if link.e164 not in row.phones and link.quarantined_at is None:
                _detach(session, account, link, now)
                out.detached.append(link.e164)
    for e164 in row.phones:
        if e164 not in linked:
            session.add(Phone(e164=e164, account_id=account.id))
    if row.consent is not None:
        _record_consent(session, account.id, row.phones, row.consent[0], row.consent[1], now)
    session.flush()
    if row.phones:
        others = session.execute(
            select(Phone.e164, Account.account_ref, Account.name).join(Account, Account.id == Phone.account_id)
            .where(Phone.e164.in_(row.phones), Phone.account_id != account.id, Phone.quarantined_at.is_(None))
            .order_by(Phone.e164, Account.id)).all()
        out.shared = [(e164, ref, name) for e164, ref, name in others
                      if not _names_overlap(account.name, name)]
    return out


def _record_consent(session: Session, account_id: int, phones: list[str], source: str,
                    at: dt.datetime | None, now: dt.datetime) -> None:
    """US-10: one active consent record per (phone, account, channel ``sms``) with this
    ``source`` and ``consented_at`` (``at``, else ``now``); a re-import of the same
    consent adds nothing (without ``at``, any active record with the same source
    counts as the same consent), a different source or date adds a new record (the
    history is kept)."""
    for e164 in phones:
        rows = session.execute(select(Consent.source, Consent.consented_at).where(
            Consent.phone == e164, Consent.account_id == account_id, Consent.channel == "sms",
            Consent.revoked_at.is_(None))).all()
        if any(src == source and (at is None or when == at) for src, when in rows):
            continue
        session.add(Consent(phone=e164, account_id=account_id, channel="sms", source=source,
                            consented_at=at or now))


# --- public -------------------------------------------------------------------------------

def import_rows(session: Session, rows: Iterable[tuple[int, Mapping[str, Any]]], *,
                default_region: str, default_currency: str, default_profile: str,
                profiles: Mapping[str, Any], today: dt.date,
                default_language: str = "en",
                progress: Callable[[int], None] | None = None,
                commit_every: int | None = None,
                now: dt.datetime | None = None,
                refused_profiles: Mapping[str, str] | None = None,
                unit: str = "line") -> ImportReport:
    """Import accounts from ``(line_number, row)`` pairs.

    row: column → value (strings as in the CSV; ``None``/missing = empty; JSON
        callers should send amounts as strings). Columns: CONTRACT.md "Accounts CSV".
    default_region: phone region for numbers without a country code (``"US"``).
    default_currency / default_profile / default_language: used when the row
        has none (a profile's own ``currency`` wins over ``default_currency``).
    profiles: the config's ``[profiles]`` table (name → settings); an unknown
        profile is a bad row.
    today: the import's date; ``delinquent_since = today - days_past_due`` (``None`` when
        ``days_past_due`` is 0: the account is current, its cadence stops).
    progress: called with the number of rows handled so far after each row.
    commit_every: commit the session every N rows (long imports on SQLite
        otherwise hold the write lock throughout); ``None``: never commit.
    now: aware UTC time of the import (default the clock); the consent time of a
        row that gives ``consent_source`` without ``consent_at``.
    refused_profiles: profile name → reason; a row under one is a bad row with that
        reason (CN-09: no CN-profile account while the ``twilio`` transport runs —
        :func:`runner.transports.cn09_refused_profiles`).
    unit: what the numbers are, in messages that point at another row (``"line"`` for
        a file, ``"index"`` for a JSON list).

    One account_ref, one row: a row whose ``account_ref`` an earlier row of the same
    call already had (whether or not that row landed) is a bad row, ``"account_ref X
    repeats line N; skipped"`` — merging them would put two customers' names, zones
    and phones on one account. A row that changes an existing account's name is
    applied (the loan system is authoritative) and listed in ``warnings``; so is each
    number the row no longer lists (detached: :func:`_apply`, US-12) and each of its
    numbers that already serves an account of a holder sharing no name part with the
    row's (US-12, UK-06, CN-02: the dialog then tells that phone no debt).

    Consent (US-10): a row with ``consent_source`` writes a :class:`Consent` row per
    phone of the row (source, ``consent_at`` or ``now``), idempotent on re-import.
    Profile: a row without ``profile`` resolves one from its address with
    :func:`resolve_profile` (e.g. state MA → ``us_ma`` when config has it).

    Returns an :class:`ImportReport`; never raises for a bad row (database
    errors on one row roll back that row's savepoint and are reported).
    """
    report = ImportReport()
    done = 0
    when = now or dt.datetime.now(UTC)
    first_line: dict[str, int] = {}   # account_ref → the line that had it first
    for line, raw in rows:
        done += 1
        ref = _clean(raw).get("account_ref", "") if isinstance(raw, Mapping) else ""
        key = _ref_key(ref)
        if key and key in first_line:
            report.errors.append((line, f"account_ref {ref} repeats {unit} {first_line[key]}; skipped"))
            if commit_every and done % commit_every == 0:
                session.commit()
            if progress is not None:
                progress(done)
            continue
        if key:
            first_line[key] = line
        try:
            row = _validate(raw, default_region=default_region,
                            default_currency=default_currency,
                            default_profile=default_profile,
                            default_language=default_language, profiles=profiles,
                            today=today, refused_profiles=refused_profiles)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
        else:
            try:
                with session.begin_nested():
                    applied = _apply(session, row, when)
            except RowRefused as exc:
                report.errors.append((line, str(exc)))
            except SQLAlchemyError as exc:
                report.errors.append((line, f"database refused the row: {exc.__class__.__name__}: "
                                            f"{str(exc).splitlines()[0][:200]}"))
            else:
                ref_in = row.values["account_ref"]
                if applied.created:
                    report.created += 1
                else:
                    report.updated += 1
                if applied.renamed_from is not None:
                    report.warnings.append((line, (
                        f"account_ref {ref_in}: name changed from {applied.renamed_from!r} to "
                        f"{row.values['name']!r} (updated; check it is the same customer)")))
                for e164 in applied.detached:
                    report.warnings.append((line, (
                        f"account_ref {ref_in}: phone changed: old number {e164} detached (US-12: it is "
                        "told nothing about this debt again; its waiting texts are refused)")))
                for e164, other_ref, other_name in applied.shared:
                    report.warnings.append((line, (
                        f"account_ref {ref_in}: phone {e164} also belongs to account_ref {other_ref} of "
                        f"another holder ({other_name!r}) — imported; the bot tells that phone neither "
                        "debt and hands it to a person (US-12/UK-06); check the numbers")))
        if commit_every and done % commit_every == 0:
            session.commit()
        if progress is not None:
            progress(done)
    return report


def read_csv(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` from a UTF-8 (BOM allowed) CSV file with a
    header row; ``line_number`` is the row's first physical line (header = 1).
    Raises ``ValueError`` when required columns are missing from the header."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = [(h or "").strip().lower() for h in next(reader)]
        except StopIteration:
            header = []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ValueError("missing column(s): " + ", ".join(missing))
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            if not any(c.strip() for c in cells):
                continue  # blank line
            row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
            yield start, row


def count_rows(path: str | os.PathLike[str]) -> int:
    """Data rows in a CSV file (for a progress bar's total)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def import_csv(session: Session, path: str | os.PathLike[str], *, default_region: str,
               default_currency: str, default_profile: str, profiles: Mapping[str, Any],
               today: dt.date, default_language: str = "en",
               progress: Callable[[int], None] | None = None,
               commit_every: int | None = None, now: dt.datetime | None = None,
               refused_profiles: Mapping[str, str] | None = None) -> ImportReport:
    """Import an accounts CSV file (see :func:`import_rows` for the arguments; ``now``
    is the import's aware UTC time, default the clock).

    Line numbers in the report are the file's (header = line 1). A header that
    lacks a required column, or a file that is not UTF-8, gives one error on
    line 1 and imports nothing; a missing file raises ``OSError``.
    """
    try:
        rows = list(read_csv(Path(path)))
    except UnicodeDecodeError as exc:
        return ImportReport(errors=[(1, f"file is not UTF-8: {exc.reason} at byte {exc.start}")])
    except ValueError as exc:
        return ImportReport(errors=[(1, str(exc))])
    return import_rows(session, rows, default_region=default_region,
                       default_currency=default_currency, default_profile=default_profile,
                       profiles=profiles, today=today, default_language=default_language,
                       progress=progress, commit_every=commit_every, now=now,
                       refused_profiles=refused_profiles)
