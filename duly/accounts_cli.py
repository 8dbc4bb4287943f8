"""``duly accounts import FILE.csv``: import with a progress bar and a summary."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path


def import_file(settings, sessions, path: Path, *, today: dt.date | None = None, progress=None,
                now: dt.datetime | None = None):
    """Import ``path`` into the database behind ``sessions`` with the config's defaults.
    ``today``: the date days past due count to (default today's date); ``now``: aware
    UTC time of the import, recorded as the consent time of rows without ``consent_at``
    (default the clock). Returns ``storage.accounts.ImportReport``."""
    from runner.transports import cn09_refused_profiles
    from storage.accounts import import_csv

    b = settings.behaviour
    with sessions() as s:
        report = import_csv(s, path, default_region=b.get("default_region", "US"),
                            default_currency=b.get("default_currency", "USD"),
                            default_profile=b.get("default_profile", "us_first_party"),
                            profiles=b.get("profiles", {}), today=today or dt.date.today(),
                            progress=progress, commit_every=500, now=now,
                            refused_profiles=cn09_refused_profiles(settings))
        s.commit()
    return report


def run_import(settings, path: Path) -> int:
    """The CLI command: exit 0 when every row landed, 1 when some rows were refused
    (the good rows still land), 2 when the file cannot be read. Rows that landed with a
    warning (an existing account renamed, an old number detached — US-12 —, a phone that
    also serves another holder's account — US-12/UK-06) are listed too, without changing
    the status."""
    from rich.progress import BarColumn, Progress, TextColumn

    from storage import db

    if not path.is_file():
        print(f"duly accounts import: no such file: {path}", file=sys.stderr)
        return 2
    total = max(0, sum(1 for _ in path.open("rb")) - 1)
    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    with Progress(TextColumn("importing"), BarColumn(), TextColumn("{task.completed}/{task.total} rows"),
                  transient=True) as bar:
        task = bar.add_task("import", total=total)
        report = import_file(settings, sessions, path, progress=lambda n: bar.update(task, completed=n))
    engine.dispose()
    for line, reason in report.errors:
        print(f"line {line}: {reason}", file=sys.stderr)
    for line, text in report.warnings:
        print(f"line {line}: warning: {text}", file=sys.stderr)
    extra = ""
    for marker, label in ((": name changed from ", "renamed"), (": phone changed: ", "old numbers detached"),
                          (" of another holder ", "phones shared with another holder")):
        n = sum(1 for _, text in report.warnings if marker in text)
        extra += f", {n} {label}" if n else ""
    print(f"{report.created} created, {report.updated} updated, {len(report.errors)} rows skipped{extra}")
    return 1 if report.errors else 0
