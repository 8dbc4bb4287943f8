"""``duly demo``: a local SQLite database, demo accounts, the console transport, served."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

DEMO_CSV = Path(__file__).with_name("demo_accounts.csv")


def prepare(settings) -> tuple[int, int, list[tuple[int, str]]]:
    """Migrate, seed the default script and (re)import the demo accounts.
    Returns (created, updated, errors)."""
    from duly.accounts_cli import import_file
    from duly.app import seed_script
    from storage import db

    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    seed_script(sessions, settings)
    report = import_file(settings, sessions, DEMO_CSV, today=dt.date.today())
    engine.dispose()
    return report.created, report.updated, list(report.errors)


def main(port: int = 8000, host: str = "127.0.0.1") -> int:
    """Prepare the demo database and serve it with the console transport."""
    os.environ["DULY_DEV"] = "1"
    os.environ.setdefault("SMS_TRANSPORT", "console")
    api_line = demo_api_token(os.environ, host, port)
    import uvicorn

    from duly.app import create_app
    from duly.config import load_settings

    settings = load_settings()
    created, updated, errors = prepare(settings)
    logins = demo_users(settings)
    ours = settings.behaviour.get("demo", {}).get("our_number", "+15555550100")
    url_hint = "" if port == 8000 else f" (add --url http://127.0.0.1:{port} to each duly chat)"
    print(f"""
Duly demo — database {settings.database_url}, console transport (nothing leaves this machine).
Demo accounts: {created} created, {updated} updated{', ' + str(len(errors)) + ' rows refused' if errors else ''}.

Talk to the bot from another terminal in this folder (same virtualenv), as a customer{url_hint}:
  duly chat +15555550101      Dana, one card account (English)
  duly chat +15555550102      Sam, two accounts on one phone (asks which one)
  duly chat +8613800138000    王芳, Chinese
  duly chat +447700900123     Olivia, UK profile (identity check first: her postcode is SW1A 1AA)
Try: hi · pay · plan · I can pay $50 on friday · 下周五还 · talk to a person · STOP · START
After a hand-off the bot stays quiet until an agent hands back:
  duly agent handback +15555550101
Or take it over in the agent console: http://{host}:{port}/console
  {logins}
{api_line}
Start over: stop the demo, delete duly.db and run `duly demo` again.
Duly's number: {ours}. Serving on http://{host}:{port}  (Ctrl-C stops)
""", flush=True)
    app = create_app()
    start_worker(app.state.services)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
    return 0


def demo_api_token(env, host: str, port: int) -> str:
    """The JSON API's bearer token for this demo run: ``API_TOKEN`` when it is set, else a
    fresh random one put in ``env`` (the app reads it from there), like the console
    passwords — so ``/api/*`` answers instead of 401. Returns the lines to print."""
    import secrets

    given = bool(env.get("API_TOKEN"))
    if not given:
        env["API_TOKEN"] = secrets.token_urlsafe(24)
    token = env["API_TOKEN"]
    where = "API_TOKEN from your environment" if given else "fresh each run, like the passwords"
    return (f"The JSON API (/api/*; {where}):\n"
            f"  Authorization: Bearer {token}\n"
            f"  curl -H 'Authorization: Bearer {token}' 'http://{host}:{port}/api/conversations?phone=%2B15555550101'")


def demo_users(settings) -> str:
    """Create (or reset) the demo's console users with fresh random passwords; returns
    the lines to print. Local demo only: the passwords are shown once."""
    import secrets

    from console import auth
    from runner.inbound import utcnow
    from storage import db

    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    lines = []
    try:
        with sessions() as s, s.begin():
            for email, role in (("agent@demo.duly", "agent"), ("admin@demo.duly", "admin")):
                password = secrets.token_urlsafe(9)
                user = auth.get_user(s, email)
                if user is None:
                    auth.create_user(s, email, role, password, utcnow())
                else:
                    auth.set_password(s, user, password)
                lines.append(f"{role:5}  {email}  password {password}")
    finally:
        engine.dispose()
    return "\n  ".join(lines)


def start_worker(services) -> "threading.Thread":
    """Run the outbox worker (cadence steps, reminders, deferred messages, timers) in a
    background thread of the demo process, as `duly worker` does in production."""
    import threading

    from runner.inbound import Runner
    from runner.transports import ConsoleTransport
    from runner.worker import Worker

    runner = Runner(services.settings, services.sessions, transport=None)
    runner.bus = services.runner.bus     # the console hears the worker's handoffs at once
    runner.settings_store = services.settings_store
    worker = Worker(services.settings, services.sessions, ConsoleTransport(), runner=runner)
    t = threading.Thread(target=worker.run_forever, kwargs={"poll_seconds": 2.0}, daemon=True,
                         name="duly-demo-worker")
    t.start()
    return t
