"""``duly scripts validate FILE`` / ``publish FILE`` / ``export``."""

from __future__ import annotations

import sys
from pathlib import Path


def cli_actor(by: str | None) -> tuple[str, str]:
    """``(actor, os_user)`` for the audit log of a CLI action: ``cli:`` + ``by`` (``--by``,
    best a console user's email so four eyes can tell it is her) or, without it, the OS
    user; the OS user is recorded either way."""
    import getpass

    try:
        os_user = getpass.getuser()
    except Exception:          # no login name (some containers)
        os_user = "unknown"
    return f"cli:{(by or '').strip() or os_user}", os_user


def main(action: str, file: str | None, settings, by: str | None = None) -> int:
    """Validate (exit 1 and one line per problem, ``FILE:LINE: message``; on success a
    table of each template's SMS segments and encoding), publish, or print the published
    revision. Templates are linted under the config's profiles (``[profiles.*]``).

    ``publish`` publishes the file as a new revision at once (CONTRACT.md) — a deploy step
    by whoever holds the database credentials. With ``[scripts] cli_publish = "submit"``
    (and four eyes on) it only submits the file for approval: a second admin approves and
    publishes it in the console (``/console/admin/scripts/N``), and until then customers
    see nothing new; the person named by ``by`` cannot approve it. Either way the audit
    log names ``cli:<by or OS user>``, the OS user and the file."""
    from bot.dialogs.script import validate
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
        profiles = settings.behaviour.get("profiles") or {}
        problems = validate(text, profiles)
        for p in problems:
            print(f"{file}:{p.line}: {p.message}")
        if problems:
            return 1
        if action == "validate":
            from bot.dialogs.script import load_script, template_report
            script = load_script(text)
            print(format_report(template_report(script), script.languages))
            print(f"{file}: ok (linted under profiles: {', '.join(profiles) or 'none'})")
            return 0
    engine = db.make_engine(settings.database_url)
    sessions = db.make_sessionmaker(engine)
    try:
        if action == "publish":
            import datetime as dt

            actor, os_user = cli_actor(by)
            conf = settings.behaviour.get("scripts") or {}
            # CONTRACT: `duly scripts publish FILE` publishes a new revision; a team that
            # wants the console's four eyes for the CLI too sets cli_publish = "submit"
            four_eyes = (bool(conf.get("four_eyes", True))
                         and str(conf.get("cli_publish", "publish")).strip().lower() == "submit")
            now = dt.datetime.now(dt.timezone.utc)
            with sessions() as s, s.begin():
                if four_eyes:
                    rev = scripts.submit_text(s, name, text, by=actor, now=now, note=f"from {file} (duly scripts publish)",
                                              via="cli", os_user=os_user, file=str(file))
                    print(f"{name} revision {rev.revision} submitted for approval (four eyes): a second admin "
                          f"approves and publishes it at /console/admin/scripts/{rev.revision}; until then "
                          "customers get the published revision")
                else:
                    rev = scripts.publish(s, name, text, by=actor, now=now, via="cli", os_user=os_user,
                                          file=str(file))
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


def format_report(report, languages=("en", "zh")) -> str:
    """The template table: one row per template and variant (``-`` for a template without
    variants), one column per language with ``segments encoding``; an encoding forced to
    UCS-2 by at most three distinct characters names them (a stray curly quote in an
    English text doubles its cost)."""
    langs = list(languages) + sorted({i.lang for i in report} - set(languages))
    has_variants = {i.key for i in report if i.variant is not None}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for i in report:
        variant = i.variant or ("A" if i.key in has_variants else "-")
        enc = i.encoding
        if i.encoding == "UCS-2" and 0 < len(i.ucs2_chars) <= 3:
            enc += " (" + " ".join(repr(c) for c in i.ucs2_chars) + ")"
        rows.setdefault((i.key, variant), {})[i.lang] = f"{i.segments} {enc}"
    head = ["template", "variant", *langs]
    table = [head] + [[k, v, *(cells.get(lang, "") for lang in langs)] for (k, v), cells in rows.items()]
    widths = [max(len(r[c]) for r in table) for c in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table)
