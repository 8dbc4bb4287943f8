"""Console users, passwords and sessions.

* Passwords: argon2id through ``argon2-cffi`` (its RFC 9106 low-memory profile). Hashing
  is slow on purpose; the web edge calls it off the event loop (``run_in_threadpool``).
* Sessions: the browser's cookie holds 32 random bytes (``secrets.token_urlsafe``); the
  database keeps only their SHA-256, the user's ``session_version`` at sign-in, an expiry
  and a CSRF synchronizer token. Sign-out revokes the row; a password change bumps the
  user's ``session_version``, which revokes every session of that user at once.
* Sign-in attempts are rate-limited with the ``limits`` library (in memory, or in Redis
  when ``REDIS_URL`` is set, so every web process shares the count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ConsoleSession, User

ROLES = ("agent", "admin")
#: Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for more).
MIN_PASSWORD = 10
#: How long a session lasts without signing in again.
SESSION_TTL = dt.timedelta(hours=12)

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("duly-dummy-password")


#: a plain address: no spaces, quotes, angle brackets or control characters
_EMAIL_RE = re.compile(r"[a-z0-9.!#$%&*+/=?^_`{|}~-]+@[a-z0-9-]+(\.[a-z0-9-]+)+")


class AuthError(ValueError):
    """A user cannot be created or changed (bad email, role, weak password, duplicate)."""


@dataclass(frozen=True)
class SignedIn:
    """The user behind a valid session: ``user_id``, ``email``, ``role``, the session's
    ``csrf_token`` and ``session_id``."""

    user_id: int
    email: str
    role: str
    csrf_token: str
    session_id: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    """argon2id PHC string for ``password``. Slow (tens of ms): call off the event loop."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash`` (``None`` → checked against a
    dummy hash, and False, so an unknown email costs the same time). Slow: call off the
    event loop."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed. Raises :class:`AuthError` when it is not an address."""
    email = (email or "").strip().lower()
    if len(email) > 255 or not _EMAIL_RE.fullmatch(email):
        raise AuthError(f"not an email address: {email[:80]!r}")
    return email


def check_password_strength(password: str, email: str = "") -> None:
    """Raises :class:`AuthError` when ``password`` is shorter than :data:`MIN_PASSWORD`
    or is the email itself."""
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"the password must have at least {MIN_PASSWORD} characters")
    if email and password.strip().lower() == email.strip().lower():
        raise AuthError("the password must not be the email address")


def create_user(s: Session, email: str, role: str, password: str, now: dt.datetime) -> User:
    """Create a console user (the caller commits). Raises :class:`AuthError` for a bad
    email, role, weak password or an email already taken."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    check_password_strength(password, email)
    if s.scalar(select(User.id).where(User.email == email)) is not None:
        raise AuthError(f"{email} already exists")
    user = User(email=email, role=role, password_hash=hash_password(password), session_version=1,
                active=1, created_at=now)
    s.add(user)
    s.flush()
    return user


def set_password(s: Session, user: User, password: str) -> None:
    """Change ``user``'s password and revoke every session they have (session version
    bumped). Raises :class:`AuthError` for a weak password. The caller commits."""
    check_password_strength(password, user.email)
    user.password_hash = hash_password(password)
    user.session_version = int(user.session_version) + 1


def start_session(s: Session, user: User, now: dt.datetime, ttl: dt.timedelta = SESSION_TTL) -> str:
    """Open a session for ``user``; returns the cookie token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    s.add(ConsoleSession(token_hash=_token_hash(token), user_id=user.id, user_version=user.session_version,
                         csrf_token=secrets.token_urlsafe(32), created_at=now, expires_at=now + ttl))
    s.flush()
    return token


def load_session(s: Session, token: str | None, now: dt.datetime) -> SignedIn | None:
    """The signed-in user for cookie ``token``, or ``None`` when the token is unknown,
    expired, revoked, from before a password change, or the user is deactivated."""
    if not token or len(token) > 200:
        return None
    row = s.execute(select(ConsoleSession, User).join(User, User.id == ConsoleSession.user_id)
                    .where(ConsoleSession.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    sess, user = row
    if (sess.revoked_at is not None or sess.expires_at <= now or not user.active
            or sess.user_version != user.session_version):
        return None
    return SignedIn(user.id, user.email, user.role, sess.csrf_token, sess.id)


def end_session(s: Session, token: str | None, now: dt.datetime) -> None:
    """Revoke the session behind ``token`` (sign-out). Unknown tokens are ignored."""
    if token:
        s.execute(update(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token),
                                               ConsoleSession.revoked_at.is_(None)).values(revoked_at=now))


def csrf_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


class LoginLimiter:
    """Sign-in rate limits on FAILED attempts (moving window, :mod:`limits`): per
    (client IP, email), per email from any address, and per client IP — so a call centre
    behind one address is not locked out by its own successful sign-ins. ``redis_url``:
    share counts across processes; ``None`` → in memory."""

    def __init__(self, redis_url: str | None = None, per_account: str = "5/minute",
                 per_ip: str = "30/15minutes", per_email: str = "20/hour"):
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        storage = storage_from_string(redis_url or "memory://")
        self.limiter = MovingWindowRateLimiter(storage)
        self.rules = ((parse(per_ip), lambda ip, email: ("login-ip", ip)),
                      (parse(per_account), lambda ip, email: ("login", ip, email)),
                      (parse(per_email), lambda ip, email: ("login-email", email)))

    def allowed(self, ip: str, email: str) -> bool:
        """False when earlier failures put this attempt over a limit (refuse it without
        checking the password). A limiter that cannot reach its storage allows."""
        email = email.lower()
        try:
            return all(self.limiter.test(item, *key(ip, email)) for item, key in self.rules)
        except Exception:
            return True

    def failed(self, ip: str, email: str) -> None:
        """Count one failed attempt."""
        email = email.lower()
        try:
            for item, key in self.rules:
                self.limiter.hit(item, *key(ip, email))
        except Exception:
            pass

    def hit(self, ip: str, email: str) -> bool:
        """Count one failed attempt and say whether the next is still allowed."""
        self.failed(ip, email)
        return self.allowed(ip, email)

    def reset(self, ip: str, email: str) -> None:
        """Forget the per-(address, email) count after a successful sign-in."""
        try:
            self.limiter.clear(self.rules[1][0], "login", ip, email.lower())
        except Exception:
            pass


def revoke_all(s: Session, user: User) -> None:
    """Sign ``user`` out everywhere (session version bumped). The caller commits."""
    user.session_version = int(user.session_version) + 1


def any_user(s: Session) -> bool:
    """Whether any console user exists (the demo creates one)."""
    return s.scalar(select(User.id).limit(1)) is not None


def get_user(s: Session, email: str) -> User | None:
    """The user with this email (normalised), or ``None``."""
    try:
        return s.scalar(select(User).where(User.email == normalise_email(email)))
    except AuthError:
        return None


__all__: list[Any] = ["AuthError", "SignedIn", "LoginLimiter", "create_user", "set_password",
                      "start_session", "load_session", "end_session", "hash_password", "verify_password",
                      "csrf_ok", "revoke_all", "any_user", "get_user", "ROLES"]
