"""Script editing for admins: revisions, validation, preview, diff, simulator, approval,
publish and roll back (``/console/admin/scripts``).

Routes (admin role; every POST carries the CSRF token):

``GET  /console/admin/scripts`` — revisions, newest first, with status and who did what
``GET  /console/admin/scripts/new?from=N`` / ``POST /console/admin/scripts`` — edit as TOML
``POST /console/admin/scripts/validate`` — the validator's problems and template table (htmx)
``GET  /console/admin/scripts/{n}`` — one revision: problems, preview, diff (``?diff=M``)
``GET|POST /console/admin/scripts/{n}/template/{key}`` — edit one template's texts in a form
``GET|POST /console/admin/scripts/{n}/state/{name}`` — edit one state's replies and targets in a form
``POST /console/admin/scripts/{n}/{submit|approve|publish|rollback}``
``GET|POST /console/admin/scripts/{n}/simulate`` — chat against the revision; nothing stored

The workflow rules live in :mod:`storage.scripts`; validation in :mod:`bot.dialogs.script`.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot import dialogs, segments, templates
from bot.dialogs.simulate import SAMPLE_PAY_LINK, samples, simulate
from bot.money import format_money
from storage import scripts as store
from storage.models import ScriptRevision

MAX_SCRIPT_CHARS = 200_000
MAX_SIM_TURNS = 30


def _name(console: Any) -> str:
    return str(console.services.settings.behaviour.get("script", "default"))


def _four_eyes(console: Any) -> bool:
    return bool((console.services.settings.behaviour.get("scripts") or {}).get("four_eyes", True))


def _profiles(console: Any) -> dict[str, Any]:
    return dict(console.services.settings.behaviour.get("profiles") or {})


def check(text: str, profiles: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """``(problems, template_report)`` for a script text; the report is empty when the
    script does not load. Uses the profiles' linter rules when the validator takes them."""
    try:
        problems = dialogs.validate(text, profiles=profiles)
    except TypeError:                      # a validator without per-profile lint
        problems = dialogs.validate(text)
    report: list[Any] = []
    if not problems:
        script = dialogs.load_script(text)
        report_fn = getattr(dialogs, "template_report", None)
        if report_fn is None:
            from bot.dialogs import script as script_mod

            report_fn = getattr(script_mod, "template_report", None)
        if report_fn is not None:
            report = list(report_fn(script))
    return problems, report


def preview(script: Any, console: Any) -> list[dict[str, Any]]:
    """Every template rendered with the validator's sample values in each of its
    languages (the longest realistic values, so the segment counts agree with the
    validator's table), with its segment count and encoding: ``[{key, variant, rows:
    [{lang, sample, text, segments, encoding}]}]``. ``sample`` names the person and
    creditor those values render (not the simulator's sample accounts, whose values
    differ)."""
    out = []
    variants = getattr(script, "variants", {}) or {}
    for key in sorted(script.templates):
        names = ["A"] + [v.name for v in variants.get(key, ()) if v.name != "A"]
        for variant in names:
            rows = []
            for lang in script.languages:
                # the validator's sample values: the same lengths as its segment table
                params = dialogs.sample_params(lang)
                label = f"{params['name']} · {params['creditor']} (validator sample)"
                try:
                    text = (templates.render(script, key, lang, params) if variant == "A"
                            else templates.render(script, key, lang, params, variant=variant))
                    info = segments.count(text)
                    rows.append({"lang": lang, "sample": label, "text": text, "segments": info.segments,
                                 "encoding": info.encoding})
                except Exception as exc:     # shown, never a 500
                    rows.append({"lang": lang, "sample": label, "text": f"[does not render: {exc}]",
                                 "segments": 0, "encoding": "-"})
            out.append({"key": key, "variant": variant if names != ["A"] else None, "rows": rows})
    return out


def sample_params(facts: Any, lang: str, now: Any) -> dict[str, str]:
    """Placeholder values for a sample account (money and dates formatted as the bot
    formats them)."""
    from bot.dialogs import format_date

    cur = facts.currency
    due = facts.due_date or now.date()
    return {
        "name": facts.name, "creditor": facts.creditor, "contact": facts.creditor_contact,
        "past_due": format_money(facts.past_due_minor, cur, lang),
        "minimum_due": format_money(facts.minimum_due_minor, cur, lang),
        "balance": format_money(facts.balance_minor, cur, lang), "deadline": format_date(due, lang),
        "pay_link": SAMPLE_PAY_LINK, "options": "1) 6 × 52.10\n2) 12 × 26.05", "plan": "6 × 52.10",
        "schedule": "Dec 7 52.10\nJan 7 52.10", "amount": format_money(5000, cur, lang),
        "date": format_date(due, lang), "max_date": format_date(due, lang), "accounts": "1) …4417\n2) …9001",
        "last4": "4417", "option": "1", "count": "6", "first_amount": format_money(5210, cur, lang),
        "total": format_money(facts.past_due_minor, cur, lang), "tries_left": "2", "channel": "SMS",
        "question": "postcode", "greeting": "", "when": "Mon Dec 7 08:00 EST",
        "dpd": str(facts.dpd) if facts.dpd > 0 else "",
    }


def diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """A unified diff of two script texts."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=old_name, tofile=new_name, n=2)) or "(no difference)"


def set_template(body: str, key: str, texts: dict[str, str]) -> str:
    """``body`` with template ``key``'s texts replaced (``texts``: language → text),
    everything else byte-for-byte as it was (tomlkit keeps comments and layout)."""
    import tomlkit

    doc = tomlkit.parse(body)
    table = doc["templates"][key]
    for lang, text in texts.items():
        table[lang] = text
    return tomlkit.dumps(doc)


def set_handlers(body: str, state: str, changes: dict[str, tuple[str, str]]) -> str:
    """``body`` with the ``ok`` branch of state ``state``'s handlers changed: ``changes``
    maps intent → ``(say, goto)``; an empty value removes the key. Comments and layout
    stay (tomlkit)."""
    import tomlkit

    doc = tomlkit.parse(body)
    on = doc["states"][state]["on"]
    for intent, (say, goto) in changes.items():
        handler = on[intent]
        for key, value in (("say", say), ("goto", goto)):
            if value:
                handler[key] = value
            elif key in handler:
                del handler[key]
    return tomlkit.dumps(doc)


class ScriptAdmin:
    """The routes, over a :class:`console.app.Console`."""

    def __init__(self, console: Any):
        self.c = console

    def _load(self, number: int) -> dict[str, Any] | None:
        with self.c.services.sessions() as s:
            try:
                rev = store.revision(s, _name(self.c), number)
            except store.WorkflowError:
                return None
            s.expunge(rev)
            newest = s.scalar(select(ScriptRevision.revision).where(ScriptRevision.name == _name(self.c))
                              .order_by(ScriptRevision.revision.desc()).limit(1))
            published = s.scalar(select(ScriptRevision).where(ScriptRevision.name == _name(self.c),
                                                              ScriptRevision.status == "published"))
            if published is not None:
                s.expunge(published)
        return {"rev": rev, "newest": newest, "published": published}

    async def _loaded(self, request: Request, user: Any) -> tuple[dict[str, Any] | None, Any, Response | None]:
        """``(data, script, None)`` for the path's revision, or ``(None, None, error page)``
        (404 for an unknown revision; ``script`` is ``None`` when it does not load)."""
        number = _int(request.path_params.get("n"))
        data = await run_in_threadpool(self._load, number) if number else None
        if data is None:
            return None, None, self.c.render("error.html", request, status=404, user=user,
                                             message="No such revision.")
        try:
            script = dialogs.load_script(data["rev"].body)
        except Exception:
            script = None
        return data, script, None

    async def _save_edit(self, body: str, based_on: int, user: Any, note: str) -> tuple[Response | None, str | None]:
        """Save ``body`` as a new draft edited from ``based_on``: ``(redirect to it, None)``,
        or ``(None, why not)`` when the save is refused (a newer revision exists)."""
        def save() -> int:
            with self.c.services.sessions() as s, s.begin():
                return store.save_draft(s, _name(self.c), body, based_on=based_on, by=user.email,
                                        now=self.c.now(), note=note).revision

        try:
            new = await run_in_threadpool(save)
        except store.WorkflowError as exc:
            return None, str(exc)
        return RedirectResponse(_flash_url(f"/console/admin/scripts/{new}", user, ok=f"saved as draft revision {new}"),
                                status_code=303), None

    async def index(self, request: Request, user: Any) -> Response:
        def load() -> list[ScriptRevision]:
            with self.c.services.sessions() as s:
                rows = store.revisions(s, _name(self.c))
                s.expunge_all()
                return rows

        ok, err = _flash(request, user)
        return self.c.render("admin_scripts.html", request, user=user, revs=await run_in_threadpool(load), ok=ok,
                             err=err)

    async def new(self, request: Request, user: Any) -> Response:
        number = _int(request.query_params.get("from"))
        data = await run_in_threadpool(self._load, number) if number else None
        if data is None:
            return self.c.render("error.html", request, status=404, user=user, message="No such revision.")
        body = data["rev"].body
        problems, report = await run_in_threadpool(check, body, _profiles(self.c))
        return self.c.render("admin_script_edit.html", request, user=user, body=body, based_on=data["rev"].revision,
                             problems=problems, report=report, note="", error=None)

    async def save(self, request: Request, user: Any) -> Response:
        form = await request.form()
        body = str(form.get("body") or "").replace("\r\n", "\n")
        based_on = _int(form.get("based_on"))
        note = str(form.get("note") or "")[:2000]
        if not body.strip() or len(body) > MAX_SCRIPT_CHARS or based_on is None:
            return PlainTextResponse("a script body (at most 200,000 characters) and based_on are required\n",
                                     status_code=400)

        def save() -> int:
            with self.c.services.sessions() as s, s.begin():
                rev = store.save_draft(s, _name(self.c), body, based_on=based_on, by=user.email, now=self.c.now(),
                                       note=note)
                return rev.revision

        try:
            number = await run_in_threadpool(save)
        except store.WorkflowError as exc:
            problems, report = await run_in_threadpool(check, body, _profiles(self.c))
            return self.c.render("admin_script_edit.html", request, status=409, user=user, body=body,
                                 based_on=based_on, problems=problems, report=report, note=note, error=str(exc))
        return RedirectResponse(_flash_url(f"/console/admin/scripts/{number}", user, ok=f"saved as draft revision {number}"),
                                status_code=303)

    async def validate(self, request: Request, user: Any) -> Response:
        form = await request.form()
        body = str(form.get("body") or "")[:MAX_SCRIPT_CHARS]
        problems, report = await run_in_threadpool(check, body, _profiles(self.c))
        return self.c.render("_script_problems.html", request, user=user, problems=problems, report=report)

    async def show(self, request: Request, user: Any) -> Response:
        number = _int(request.path_params.get("n"))
        data = await run_in_threadpool(self._load, number) if number else None
        if data is None:
            return self.c.render("error.html", request, status=404, user=user, message="No such revision.")
        rev = data["rev"]
        problems, report = await run_in_threadpool(check, rev.body, _profiles(self.c))
        against = _int(request.query_params.get("diff")) or (data["published"].revision if data["published"] else None)
        diff_text = None
        if against and against != rev.revision:
            other = await run_in_threadpool(self._load, against)
            if other is not None:
                diff_text = diff(other["rev"].body, rev.body, f"revision {against}", f"revision {rev.revision}")
        pv, state_names = [], []
        if not problems:
            loaded = dialogs.load_script(rev.body)
            pv = await run_in_threadpool(preview, loaded, self.c)
            state_names = sorted(loaded.states)
        ok, err = _flash(request, user)
        return self.c.render("admin_script.html", request, user=user, rev=rev, problems=problems, report=report,
                             preview=pv, diff=diff_text, against=against, newest=data["newest"], states=state_names,
                             published=data["published"], four_eyes=_four_eyes(self.c), ok=ok, err=err,
                             mine=any(store.same_person(user.email, who) for who in (rev.created_by, rev.submitted_by)
                                      if who))

    async def step(self, request: Request, user: Any) -> Response:
        number = _int(request.path_params.get("n"))
        action = request.path_params.get("action")
        if number is None or action not in ("submit", "approve", "send_back", "publish", "rollback"):
            return PlainTextResponse("unknown action\n", status_code=404)

        def run() -> str:
            now = self.c.now()
            with self.c.services.sessions() as s, s.begin():
                rev = store.revision(s, _name(self.c), number)
                if action == "submit":
                    problems, _ = check(rev.body, _profiles(self.c))
                    store.submit(s, rev, by=user.email, now=now, problems=problems)
                    return f"revision {number} submitted for approval"
                if action == "send_back":
                    store.send_back(s, rev, by=user.email, now=now)
                    return f"revision {number} sent back to draft"
                if action == "approve":
                    store.approve(s, rev, by=user.email, now=now, four_eyes=_four_eyes(self.c))
                    return f"revision {number} approved"
                if action == "publish":
                    store.publish_revision(s, rev, by=user.email, now=now)
                    return f"revision {number} published: new conversations use it"
                store.rollback(s, rev, by=user.email, now=now)
                return f"rolled back: revision {number} is published again"

        try:
            msg = await run_in_threadpool(run)
        except store.WorkflowError as exc:
            return RedirectResponse(_flash_url(f"/console/admin/scripts/{number}", user, err=str(exc)), status_code=303)
        return RedirectResponse(_flash_url(f"/console/admin/scripts/{number}", user, ok=msg), status_code=303)

    async def template_form(self, request: Request, user: Any) -> Response:
        key = str(request.path_params.get("key"))
        data, script, missing = await self._loaded(request, user)
        if missing is not None:
            return missing
        if script is None or key not in script.templates:
            return self.c.render("error.html", request, status=404, user=user, message="No such template.")
        texts = dict(script.templates[key])
        error, problems = None, []
        if request.method == "POST":
            form = await request.form()
            texts = {lang: str(form.get(f"text_{lang}") or "") for lang in script.languages}
            why = str(form.get("note") or "").strip()[:2000]
            body = set_template(data["rev"].body, key, texts)
            problems, _ = await run_in_threadpool(check, body, _profiles(self.c))
            if not problems:
                done, error = await self._save_edit(body, data["rev"].revision, user,
                                                    f"template {key}: {why}" if why else f"template {key}")
                if done is not None:
                    return done
        counts = {}
        for lang, t in texts.items():
            try:
                counts[lang] = segments.count(templates.render_source(t, dialogs.sample_params(lang)))
            except Exception:
                counts[lang] = segments.count(t)
        return self.c.render("admin_template.html", request, status=200 if not (error or problems) else 400,
                             user=user, rev=data["rev"], key=key, texts=texts, counts=counts, problems=problems,
                             error=error, languages=script.languages,
                             placeholders=sorted(dialogs.sample_params("en")))

    async def state_form(self, request: Request, user: Any) -> Response:
        """One state's handlers in a form: for each intent, what the bot says and where it
        goes (the ``ok`` branch); saving makes a new draft."""
        name = str(request.path_params.get("name"))
        data, script, missing = await self._loaded(request, user)
        if missing is not None:
            return missing
        if script is None or name not in script.states:
            return self.c.render("error.html", request, status=404, user=user, message="No such state.")
        sdef = script.states[name]
        rows = [{"intent": i, "do": h.do, "say": h.ok.say or "", "goto": h.ok.goto or "",
                 "when": ", ".join(sorted(h.when))} for i, h in sorted(sdef.on.items())]
        error, problems = None, []
        if request.method == "POST":
            form = await request.form()
            changes = {}
            for row in rows:
                if f"say_{row['intent']}" not in form and f"goto_{row['intent']}" not in form:
                    continue                  # not in this form: unchanged, never wiped
                say = str(form.get(f"say_{row['intent']}", row["say"]) or "")
                goto = str(form.get(f"goto_{row['intent']}", row["goto"]) or "")
                if (say, goto) != (row["say"], row["goto"]):
                    changes[row["intent"]] = (say, goto)
                    row.update(say=say, goto=goto)
            if changes:
                body = set_handlers(data["rev"].body, name, changes)
                problems, _ = await run_in_threadpool(check, body, _profiles(self.c))
                if not problems:
                    done, error = await self._save_edit(body, data["rev"].revision, user, f"state {name}")
                    if done is not None:
                        return done
            else:
                error = "nothing changed"
        return self.c.render("admin_state.html", request, status=200 if not (error or problems) else 400, user=user,
                             rev=data["rev"], state_name=name, sdef=sdef, rows=rows, problems=problems, error=error,
                             templates=sorted(script.templates), states=sorted(script.states))

    async def simulator(self, request: Request, user: Any) -> Response:
        data, script, missing = await self._loaded(request, user)
        if missing is not None:
            return missing
        if script is None:
            return self.c.render("error.html", request, status=400, user=user,
                                 message="This revision has problems; fix them before simulating.")
        now = self.c.now()
        pool = {s.key: s for s in samples(now)}
        texts: list[str] = []
        sample_key = "us"
        if request.method == "POST":
            form = await request.form()
            sample_key = str(form.get("sample") or "us")
            try:
                texts = [str(t)[:500] for t in json.loads(str(form.get("history") or "[]"))][:MAX_SIM_TURNS]
            except (ValueError, TypeError):
                texts = []
            if form.get("reset"):
                texts = []
            elif str(form.get("text") or "").strip():
                texts.append(str(form.get("text"))[:500])
        sample = pool.get(sample_key, pool["us"])
        steps = await run_in_threadpool(simulate, script, sample, texts, now, self.c.services.settings.policy())
        return self.c.render("admin_simulate.html", request, user=user, rev=data["rev"], steps=steps,
                             samples=list(pool.values()), sample=sample, history=json.dumps(texts, ensure_ascii=False))

    def routes(self) -> list[BaseRoute]:
        g = self.c.guard
        return [
            Route("/console/admin/scripts", g(self.index, admin=True), methods=["GET"]),
            Route("/console/admin/scripts", g(self.save, admin=True, write=True), methods=["POST"]),
            Route("/console/admin/scripts/new", g(self.new, admin=True), methods=["GET"]),
            Route("/console/admin/scripts/validate", g(self.validate, admin=True, write=True), methods=["POST"]),
            Route("/console/admin/scripts/{n}", g(self.show, admin=True), methods=["GET"]),
            Route("/console/admin/scripts/{n}/simulate", g(self.simulator, admin=True), methods=["GET"]),
            Route("/console/admin/scripts/{n}/simulate", g(self.simulator, admin=True, write=True), methods=["POST"]),
            Route("/console/admin/scripts/{n}/template/{key}", g(self.template_form, admin=True), methods=["GET"]),
            Route("/console/admin/scripts/{n}/template/{key}", g(self.template_form, admin=True, write=True),
                  methods=["POST"]),
            Route("/console/admin/scripts/{n}/state/{name}", g(self.state_form, admin=True), methods=["GET"]),
            Route("/console/admin/scripts/{n}/state/{name}", g(self.state_form, admin=True, write=True),
                  methods=["POST"]),
            Route("/console/admin/scripts/{n}/{action}", g(self.step, admin=True, write=True), methods=["POST"]),
        ]


def _int(value: Any) -> int | None:
    from console.app import _int as parse

    return parse(value)


def _flash(request: Request, user: Any):
    from console.app import _flash as f

    return f(request, user)


def _flash_url(base: str, user: Any, ok: str | None = None, err: str | None = None) -> str:
    from console.app import _flash_url as f

    return f(base, user, ok=ok, err=err)


def routes(console: Any) -> list[BaseRoute]:
    """The script-editing routes for ``console``."""
    return ScriptAdmin(console).routes()
