"""The ``duly`` command line (CONTRACT.md, "CLI")."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _settings():
    from duly.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        print(f"duly: {exc}", file=sys.stderr)
        raise SystemExit(2)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web process under uvicorn."""
    import uvicorn

    from duly.app import create_app

    settings = _settings()
    if not os.environ.get("TWILIO_AUTH_TOKEN") and not settings.dev:
        print("duly serve: TWILIO_AUTH_TOKEN is not set. Set it (it also checks webhook signatures), "
              "or set DULY_DEV=1 for a local dev token.", file=sys.stderr)
        return 2
    from duly.worker_cli import transport_startup_check  # CN-09: refused transport → exit 2

    if transport_startup_check(settings, "duly serve"):
        return 2
    if args.port is not None:
        host, port = args.host or "127.0.0.1", args.port
    elif os.environ.get("PORT"):
        host, port = args.host or "0.0.0.0", int(os.environ["PORT"])
    else:
        host, port = args.host or "127.0.0.1", 8000
    app = create_app()
    uvicorn.run(app, host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                log_level=os.environ.get("LOG_LEVEL", "info").lower(), access_log=False,
                timeout_graceful_shutdown=10)   # open console streams must not hold a deploy
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply migrations and seed the default script."""
    from duly.app import seed_script
    from storage import db

    from alembic.runtime.migration import MigrationContext

    settings = _settings()
    engine = db.make_engine(settings.database_url)

    def current() -> str | None:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    before = current()
    db.upgrade(engine)
    after = current()
    seed_script(db.make_sessionmaker(engine), settings)
    if before == after:
        print(f"database already at the latest revision ({after})")
    else:
        print(f"database upgraded from {before or 'empty'} to {after} (the latest revision)")
    engine.dispose()
    return 0


def cmd_accounts_import(args: argparse.Namespace) -> int:
    """Import accounts from a CSV file with a progress bar and a summary."""
    from duly.accounts_cli import run_import

    return run_import(_settings(), Path(args.file))


def cmd_intents_eval(args: argparse.Namespace, rest: list[str]) -> int:
    from duly import intents_eval

    return intents_eval.main(rest)


def cmd_demo(args: argparse.Namespace) -> int:
    from duly import demo

    return demo.main(port=args.port, host=args.host or "127.0.0.1")


def cmd_chat(args: argparse.Namespace) -> int:
    from duly import chat

    return chat.main(args.phone, url=args.url, to=args.to)


def cmd_scripts(args: argparse.Namespace) -> int:
    from duly import scripts_cli

    return scripts_cli.main(args.action, args.file, _settings(), by=args.by)


def cmd_campaign_run(args: argparse.Namespace) -> int:
    """Queue the cadence step due for every eligible account (runner/campaign.py)."""
    from duly.campaign_cli import run

    return run(_settings(), dry_run=args.dry_run, now_text=args.now)


def cmd_purge(args: argparse.Namespace) -> int:
    """Purge what is past the retention period (runner/retention.py; US-24, CN-06)."""
    from runner.retention import run_cli

    return run_cli(_settings(), dry_run=args.dry_run, now_text=args.now)


def cmd_agent(args: argparse.Namespace) -> int:
    from duly import agent_cli

    return agent_cli.main(args.action, args.phone, state=args.state, agent=args.agent, settings=_settings())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="duly", description="Two-way SMS for collections, within the rules.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the web process (webhooks, API, console)")
    s.add_argument("--port", type=int)
    s.add_argument("--host")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("demo", help="local SQLite database, demo accounts, console transport")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--host")
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("chat", help="talk to the running bot as PHONE")
    s.add_argument("phone")
    s.add_argument("--url", default=os.environ.get("DULY_URL", "http://127.0.0.1:8000"))
    s.add_argument("--to", default=None, help="our number (default: the demo number)")
    s.set_defaults(func=cmd_chat)

    db = sub.add_parser("db", help="database")
    dbs = db.add_subparsers(dest="db_command", required=True)
    s = dbs.add_parser("upgrade", help="apply migrations")
    s.set_defaults(func=cmd_db_upgrade)

    acc = sub.add_parser("accounts", help="accounts")
    accs = acc.add_subparsers(dest="accounts_command", required=True)
    s = accs.add_parser("import", help="import accounts from CSV")
    s.add_argument("file")
    s.set_defaults(func=cmd_accounts_import)

    cp = sub.add_parser("campaign", help="cadence campaigns")
    cps = cp.add_subparsers(dest="campaign_command", required=True)
    s = cps.add_parser("run", help="queue the cadence step due for every eligible account")
    s.add_argument("--dry-run", action="store_true", help="print what would go; write nothing")
    s.add_argument("--now", default=None, help="ISO time to plan as of (default: the clock)")
    s.set_defaults(func=cmd_campaign_run)

    it = sub.add_parser("intents", help="intent classifier")
    its = it.add_subparsers(dest="intents_command", required=True)
    s = its.add_parser("eval", help="score a labelled corpus", add_help=False)
    s.set_defaults(func=cmd_intents_eval, passthrough=True)

    from duly import worker_cli  # `duly worker [--once] [--now ISO]`

    worker_cli.add_parser(sub)

    s = sub.add_parser("purge", help="purge records past the retention period (US-24, CN-06)")
    s.add_argument("--dry-run", action="store_true", help="print the counts; change nothing")
    s.add_argument("--now", default=None, help="ISO time to purge as of (default: the clock)")
    s.set_defaults(func=cmd_purge)

    ag = sub.add_parser("agent", help="an agent's actions on a customer's conversations")
    ag.add_argument("action", choices=["takeover", "handback", "close"])
    ag.add_argument("phone")
    ag.add_argument("--state", help="state the bot resumes in after handback (default: the menu)")
    ag.add_argument("--agent", default=os.environ.get("USER", "agent"),
                    help="who acts (audit log, as cli:AGENT; default the OS user)")
    ag.set_defaults(func=cmd_agent)

    s = sub.add_parser("bench", help="run the benchmarks in bench/ and print a table (duly bench --help)",
                       add_help=False)
    s.set_defaults(func=lambda a: 0)

    from duly import users_cli  # `duly users add EMAIL --role agent|admin`

    users_cli.add_parser(sub)

    sc = sub.add_parser("scripts", help="dialog scripts")
    sc.add_argument("action", choices=["validate", "publish", "export"])
    sc.add_argument("file", nargs="?")
    sc.add_argument("--by", default=os.environ.get("DULY_USER"),
                    help="who publishes, for the audit log and four eyes (your console email; "
                         "default $DULY_USER, else the OS user)")
    sc.set_defaults(func=cmd_scripts)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``duly`` console script; returns the exit status. Output piped
    into a reader that stops early (``duly intents eval … | head``) ends quietly with
    status 1 instead of a ``BrokenPipeError`` traceback (the recipe in Python's
    ``signal`` documentation, "Note on SIGPIPE")."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at devnull so that flush is quiet
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from duly import logs

    # JSON lines for the long-running processes, readable text for the terminal tools
    logs.configure("json" if argv[:1] in (["serve"], ["worker"]) else "text")
    if argv[:1] in (["serve"], ["worker"], ["demo"]):
        from duly.metrics import multiproc_dir_problem

        problem = multiproc_dir_problem()
        if problem:
            print(f"duly {argv[0]}: {problem}", file=sys.stderr)
            return 2
    if argv[:1] == ["bench"]:
        from bench.__main__ import main as bench_main  # `duly bench [BENCHMARK…] [--quick] [--json] …`

        return bench_main(argv[1:])
    if argv[:2] == ["intents", "eval"]:
        from duly import intents_eval

        return intents_eval.main(argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
