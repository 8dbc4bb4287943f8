"""``duly campaign run [--dry-run] [--now ISO]``: queue the cadence step due for every
eligible account (``runner.campaign.plan``), with a progress bar on stderr.

Output (stdout), one line per account whose step is due, then a summary line::

    would queue  DEMO-1001  dpd7   cadence_dpd7   local 2026-12-01T10:00-05:00
    held         DEMO-1004  dpd15  US-16          local 2026-12-01T09:00-06:00
    3 due: 2 would queue, 1 held (US-16: 1) — dry run, nothing written

Without ``--dry-run`` the lines say ``queued`` (message row made, gate verdict send or
defer) or ``held`` (eligibility rule or gate refusal). Exit status: 0 done; 2 bad
``--now``, bad cadence config or step templates breaking a rule (each problem on stderr).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any


def parse_now(text: str | None) -> dt.datetime:
    """``--now``: ISO 8601 (``2026-12-01T15:00:00Z``, ``...+08:00``; a naive time is
    UTC); ``None`` → the clock. Raises ``ValueError``."""
    if not text:
        return dt.datetime.now(dt.timezone.utc)
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def _line(item: Any) -> str:
    status = {"would_queue": "would queue"}.get(item.status, item.status)
    what = item.rule if item.status == "held" else item.template
    return f"{status:<12} {item.account_ref}  {item.step}  {what}  local {item.local_time}"


def run(settings: Any, *, dry_run: bool, now_text: str | None) -> int:
    """The CLI command (see the module docstring); returns the exit status."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from runner.campaign import CadenceConfigError, plan
    from storage import db

    try:
        now = parse_now(now_text)
    except ValueError as exc:
        print(f"duly campaign run: --now: {exc}", file=sys.stderr)
        return 2
    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    from storage.settings_store import SettingsStore

    # the admins' settings in force (quiet hours, caps...) apply here as in the worker
    settings = SettingsStore(sessions, settings.behaviour).apply(settings)
    try:
        with Progress(TextColumn("planning"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("plan", total=1)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            def on_item(item: Any) -> None:
                bar.console.file.flush()
                print(_line(item), flush=True)

            report = plan(sessions, settings, now, dry_run=dry_run, progress=progress, on_item=on_item)
    except CadenceConfigError as exc:
        for p in exc.problems:
            print(f"duly campaign run: {p}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    held = ", ".join(f"{rule}: {n}" for rule, n in sorted(report.held.items()))
    verb = "would queue" if dry_run else "queued"
    tail = " — dry run, nothing written" if dry_run else (f" ({report.deferred} deferred by the gate)"
                                                         if report.deferred else "")
    print(f"{report.due} due: {report.queued} {verb}, {report.held_total} held"
          f"{f' ({held})' if held else ''}{tail}")
    return 0
