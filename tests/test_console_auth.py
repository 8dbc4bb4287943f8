"""Console users and sessions against a real database (argon2, session versions, expiry)."""

from __future__ import annotations

import datetime as dt

import pytest

from console import auth
from storage.models import ConsoleSession, User

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


def test_passwords_are_argon2id_and_verify():
    h = auth.hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert auth.verify_password(h, "correct horse battery")
    assert not auth.verify_password(h, "correct horse batterY")
    assert not auth.verify_password(None, "anything")          # unknown user: False, same cost
    assert not auth.verify_password("not a hash", "x")


def test_create_user_rules(session):
    u = auth.create_user(session, "  Sam@Example.TEST ", "agent", "0123456789", NOW)
    assert (u.email, u.role, u.session_version) == ("sam@example.test", "agent", 1)
    for email, role, pw, msg in [("sam@example.test", "agent", "0123456789", "already exists"),
                                 ("x@y.test", "root", "0123456789", "role must be"),
                                 ("x@y.test", "agent", "short", "at least 10"),
                                 ("not-an-email", "agent", "0123456789", "not an email"),
                                 ("longpass@y.test", "agent", "LongPass@y.test", "must not be the email")]:
        with pytest.raises(auth.AuthError, match=msg):
            auth.create_user(session, email, role, pw, NOW)


def test_sessions_expire_revoke_and_die_with_a_password_change(session):
    u = auth.create_user(session, "a@x.test", "admin", "0123456789", NOW)
    t1 = auth.start_session(session, u, NOW)
    t2 = auth.start_session(session, u, NOW)
    got = auth.load_session(session, t1, NOW)
    assert got is not None and got.email == "a@x.test" and got.is_admin and len(got.csrf_token) >= 32
    # only a hash of the token is stored
    assert t1 not in {row.token_hash for row in session.query(ConsoleSession)}
    assert auth.load_session(session, t1, NOW + auth.SESSION_TTL) is None          # expired
    auth.end_session(session, t1, NOW)
    assert auth.load_session(session, t1, NOW) is None                              # signed out
    assert auth.load_session(session, t2, NOW) is not None                          # the other lives
    auth.set_password(session, u, "another password")
    assert auth.load_session(session, t2, NOW) is None                              # password change
    t3 = auth.start_session(session, u, NOW)
    session.get(User, u.id).active = 0
    assert auth.load_session(session, t3, NOW) is None                              # deactivated
    assert auth.load_session(session, "", NOW) is None and auth.load_session(session, "x" * 500, NOW) is None


def test_csrf_compare():
    assert auth.csrf_ok("abc", "abc")
    assert not auth.csrf_ok("abc", "abd") and not auth.csrf_ok("abc", None) and not auth.csrf_ok("abc", "")


def test_login_limiter_counts_per_account_and_resets():
    lim = auth.LoginLimiter(None, per_account="3/minute", per_ip="100/minute", per_email="5/hour")
    allowed = []
    for _ in range(4):
        allowed.append(lim.allowed("1.2.3.4", "a@x.test"))
        lim.failed("1.2.3.4", "a@x.test")
    assert allowed == [True, True, True, False]
    assert lim.allowed("1.2.3.4", "b@x.test")           # another account from the same address
    lim.reset("1.2.3.4", "a@x.test")
    assert lim.allowed("1.2.3.4", "a@x.test")
    lim.failed("5.6.7.8", "a@x.test")                   # per email, from any address: 5 failures
    assert not lim.allowed("9.9.9.9", "a@x.test")
