"""``duly scripts validate FILE`` / ``publish FILE`` / ``export``."""

from __future__ import annotations

import sys
from pathlib import Path


def main(action: str, file: str | None, settings) -> int:
    """Validate (exit 1 and one line per problem, with its line number), publish as a
    new revision, or print the published revision."""
    from bot import dialogs
    from storage import db, scripts

    name = str(settings.behaviour.get("script", "default"))
    if action in ("validate", "publish"):
        if not file:
            print(f"duly scripts {action}: FILE is required", file=sys.stderr)
            return 2
        path = Path(file)
        if not path.is_file():
            print(f"duly scripts {action}: no such file: {file}", file=sys.stderr)
            return 2
        text = path.read_text("utf-8")
        problems = dialogs.validate(text)
        for p in problems:
            print(f"{file}:{p.line}: {p.message}")
        if problems:
            return 1
        if action == "validate":
            print(f"{file}: ok")
            return 0
    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    try:
        if action == "publish":
            with sessions() as s, s.begin():
                rev = scripts.publish(s, name, text, by="cli")
                print(f"published {name} revision {rev.revision}")
            return 0
        with sessions() as s:
            try:
                rev = scripts.published_revision(s, name)
            except scripts.NoPublishedScript:
                print("no published script; run `duly db upgrade`", file=sys.stderr)
                return 1
            sys.stdout.write(rev.body)
        return 0
    finally:
        engine.dispose()
