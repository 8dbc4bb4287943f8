"""Configuration: behaviour from ``config.toml``, secrets and deployment from the environment.

``config.toml`` (or the file named by ``DULY_CONFIG``) holds behaviour's defaults and their
legal bounds; the environment holds secrets and deployment settings (CONTRACT.md,
"Configuration"). Nothing secret is ever read from the file.
"""

from __future__ import annotations

import logging
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger("duly.config")

_REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


class ConfigError(RuntimeError):
    """The configuration cannot be used (missing file, bad TOML, refused settings)."""


@dataclass(frozen=True)
class Settings:
    """Everything a Duly process needs to run.

    behaviour: the parsed config file (plain mapping, see ``config.toml``).
    database_url: SQLAlchemy URL. redis_url: ``None`` → embedded equivalents.
    auth_token: Twilio auth token (also checks webhook signatures); ``None`` only
        when not configured (``duly serve`` then refuses to start outside dev mode).
    transport: ``twilio`` or ``console``.
    public_base_url: the URL Twilio calls (no trailing slash), or ``None``.
    """

    behaviour: Mapping[str, Any]
    database_url: str
    redis_url: str | None = None
    account_sid: str | None = None
    auth_token: str | None = None
    twilio_from: str | None = None
    messaging_service_sid: str | None = None
    public_base_url: str | None = None
    transport: str = "console"
    api_token: str | None = None
    dev: bool = False
    config_path: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keyword_replies(self) -> str:
        """``app`` or ``provider``: who answers Twilio's own exact keywords. Under the
        console transport no provider is in the way, so Duly answers (``app``)."""
        if self.transport == "console":
            return "app"
        value = str(self.behaviour.get("keyword_replies", "provider"))
        return value if value in ("app", "provider") else "provider"

    def profile(self, name: str) -> Mapping[str, Any]:
        """The jurisdiction profile ``name`` from config; raises ``ConfigError`` if unknown."""
        profiles = self.behaviour.get("profiles", {})
        if name not in profiles:
            raise ConfigError(f"unknown profile {name!r}")
        return profiles[name]

    def policy(self) -> dict[str, Any]:
        """The policy mapping handed to the pure dialog step (plans, promises, dialog,
        intents, payments and profiles sections of the config)."""
        b = self.behaviour
        return {
            "plans": dict(b.get("plans", {})),
            "promises": dict(b.get("promises", {})),
            "dialog": dict(b.get("dialog", {})),
            "intents": dict(b.get("intents", {})),
            "payments": dict(b.get("payments", {})),
            "profiles": {k: dict(v) for k, v in b.get("profiles", {}).items()},
        }


def creditor_contact(behaviour: Mapping[str, Any], profile: str | None) -> str:
    """How a customer of ``profile`` reaches the creditor: the profile's ``contact``, else
    the top-level ``creditor_contact`` (HELP answers, notices, who-is-this; US-26, CN-05)."""
    prof = (behaviour.get("profiles") or {}).get(profile or "", {}) or {}
    return str(prof.get("contact") or behaviour.get("creditor_contact", ""))


def load_behaviour(path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], str]:
    """Read the behaviour file: ``path``, else ``$DULY_CONFIG``, else ``./config.toml``,
    else the repository's ``config.toml``. Returns (mapping, path used).

    Raises ``ConfigError`` when a named file is missing or is not valid TOML."""
    candidates: list[Path]
    named = path or os.environ.get("DULY_CONFIG")
    if named:
        candidates = [Path(named)]
    else:
        candidates = [Path("config.toml"), _REPO_CONFIG]
    for candidate in candidates:
        if candidate.is_file():
            try:
                return tomllib.loads(candidate.read_text("utf-8")), str(candidate)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{candidate}: {exc}") from exc
    raise ConfigError(f"config file not found: {candidates[0]}")


def dev_token_path(database_url: str) -> Path:
    """Where dev mode keeps its generated webhook token: beside the SQLite database,
    else in the working directory."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        db = Path(database_url[len("sqlite:///"):])
        return db.with_name(db.name + ".devtoken")
    return Path(".duly.devtoken")


def dev_token(database_url: str) -> str:
    """The local dev token, generated once and stored beside the database (mode 0600).
    Shared by ``duly serve`` in dev mode and ``duly chat``."""
    p = dev_token_path(database_url)
    if p.is_file():
        return p.read_text("utf-8").strip()
    token = secrets.token_hex(16)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return token


def load_settings(env: Mapping[str, str] | None = None, config_path: str | None = None) -> Settings:
    """Build :class:`Settings` from ``env`` (default ``os.environ``) and the config file.

    In dev mode (``DULY_DEV=1``) without ``TWILIO_AUTH_TOKEN`` a local token is generated
    once and stored beside the database, so unsigned webhooks are still never accepted."""
    env = os.environ if env is None else env
    behaviour, used = load_behaviour(config_path or env.get("DULY_CONFIG") or None)
    database_url = env.get("DATABASE_URL") or "sqlite:///duly.db"
    dev = env.get("DULY_DEV", "") not in ("", "0", "false")
    account_sid = env.get("TWILIO_ACCOUNT_SID") or None
    auth_token = env.get("TWILIO_AUTH_TOKEN") or None
    if auth_token is None and dev:
        auth_token = dev_token(database_url)
    transport = env.get("SMS_TRANSPORT") or ("twilio" if account_sid and env.get("TWILIO_AUTH_TOKEN") else "console")
    if transport not in ("twilio", "console"):
        raise ConfigError(f"SMS_TRANSPORT must be 'twilio' or 'console', not {transport!r}")
    base = (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
    return Settings(
        behaviour=behaviour,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        account_sid=account_sid,
        auth_token=auth_token,
        twilio_from=env.get("TWILIO_FROM") or None,
        messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        public_base_url=base,
        transport=transport,
        api_token=env.get("API_TOKEN") or None,
        dev=dev,
        config_path=used,
    )
