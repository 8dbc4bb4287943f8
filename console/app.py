"""The agent console: server-rendered Jinja2 pages with htmx and server-sent events.

Routes (all under ``/console``; every one but the sign-in page needs a session, every
state-changing request a CSRF token, admin pages the ``admin`` role):

``GET  /console/login`` / ``POST /console/login`` / ``POST /console/logout``
``GET  /console/password`` / ``POST /console/password`` — change one's own password
``GET  /console/inbox?f=mine|unassigned|all`` — open handoffs; ``/console/inbox/rows`` its rows
``GET  /console/search?q=`` — conversations by phone number, account reference or name
``GET  /console/c/{id}`` — the conversation view; ``/console/c/{id}/thread`` its live part
``POST /console/c/{id}/{claim|assign|take_over|hand_back|close|reply|check|note|promise|plan|hold|clear_hold}``
    (``hold``: place a hold, any agent; ``clear_hold``: a silencing hold only by an admin)
``GET  /console/stream`` — server-sent events (``inbox``, ``conv-<id>``, ``badge``)
``GET  /console/admin/users`` / ``POST /console/admin/users`` — admins only
``POST /console/admin/users/{id}/signout`` — revoke a user's sessions (admins only)
``GET  /console/admin/audit`` — the audit log (admins only)

The console holds no rules: replies go through :class:`runner.agents.AgentDesk` and the
outbound gate; promises and plans through the bot's own step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import and_, func, or_, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.holds import AGENT_HOLD_KINDS, may_clear
from bot.types import hold_rule
from bot.money import format_money, to_minor
from console import auth
from runner.agents import AgentDesk, AgentError
from runner.outbound import mask_phone
from storage.accounts import MAX_MINOR
from storage.models import (Account, AuditEntry, Conversation, Decision, Flag, Handoff, Hold, Message,
                            Note, OptOut, Phone, Plan, Promise, User)

log = logging.getLogger("duly.console")

HERE = Path(__file__).resolve().parent
COOKIE = "duly_session"
LOGIN_COOKIE = "duly_login_csrf"
FILTERS = ("mine", "unassigned", "all")
#: seconds between the stream's database polls (the bus wakes it sooner)
POLL_SECONDS = 3.0
#: most conversations a console search lists
SEARCH_LIMIT = 50
#: event streams one signed-in session may hold open at once (tabs)
MAX_STREAMS_PER_SESSION = 8

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")),
                          autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
                          lstrip_blocks=True)


def _ago(delta: dt.timedelta) -> str:
    secs = int(delta.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    if secs < 60:
        return f"{sign}{secs}s"
    if secs < 3600:
        return f"{sign}{secs // 60}m"
    if secs < 86400:
        return f"{sign}{secs // 3600}h {secs % 3600 // 60}m"
    return f"{sign}{secs // 86400}d {secs % 86400 // 3600}h"


_env.filters["ago"] = _ago
_env.filters["money"] = lambda minor, cur: format_money(int(minor), cur, "en")
_env.filters["utc"] = lambda t: t.strftime("%Y-%m-%d %H:%M UTC") if t else ""
_env.filters["mask"] = mask_phone


class Console:
    """The console's edges: services (settings, sessions, runner), the bus, the sign-in
    limiter and the agent desk."""

    def __init__(self, services: Any):
        from storage.bus import make_bus

        self.services = services
        self.runner = services.runner
        if getattr(self.runner, "bus", None) is None:
            self.runner.bus = make_bus(services.settings.redis_url)
        self.bus = self.runner.bus
        self.limiter = auth.LoginLimiter(services.settings.redis_url)
        self.desk = AgentDesk(self.runner)
        self.secure_cookie = _env_flag("DULY_COOKIE_SECURE")
        #: open event streams per session id (this process)
        self._streams: dict[int, int] = {}

    # --- plumbing ------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.runner.clock()

    def render(self, name: str, request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        user = ctx.get("user")
        html = _env.get_template(name).render(request=request, csrf=user.csrf_token if user else "", **ctx)
        resp = HTMLResponse(html, status_code=status)
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        resp.headers["Referrer-Policy"] = "same-origin"
        return resp

    def _secure(self, request: Request) -> bool:
        return self.secure_cookie or request.url.scheme == "https"

    async def user_of(self, request: Request) -> auth.SignedIn | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None

        def load() -> auth.SignedIn | None:
            with self.services.sessions() as s:
                return auth.load_session(s, token, self.now())

        return await run_in_threadpool(load)

    def guard(self, handler: Callable[..., Awaitable[Response]], *, admin: bool = False,
              write: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """Wrap ``handler(request, user)``: sign-in required (a page redirects to the
        sign-in page, an htmx or stream request gets 401 with ``HX-Redirect``), the
        admin role for ``admin`` routes (403), and the CSRF token on every ``write``
        (403)."""

        async def wrapped(request: Request) -> Response:
            user = await self.user_of(request)
            if user is None:
                target = request.url.path + (("?" + request.url.query) if request.url.query else "")
                login = "/console/login?" + urlencode({"next": target})
                if request.method != "GET" or request.headers.get("HX-Request"):
                    return PlainTextResponse("sign in first\n", status_code=401, headers={"HX-Redirect": login})
                return RedirectResponse(login, status_code=303)
            if write or request.method not in ("GET", "HEAD"):
                try:
                    form = await request.form()
                except Exception:
                    return PlainTextResponse("malformed form\n", status_code=400)
                if _has_nul(form):
                    return PlainTextResponse("NUL characters are not allowed\n", status_code=400)
                given = request.headers.get("X-CSRF-Token")
                if given is None:
                    given = form.get("csrf_token")
                if not auth.csrf_ok(user.csrf_token, given if isinstance(given, str) else None):
                    log.warning("console: CSRF token missing or wrong on %s by user %d", request.url.path,
                                user.user_id)
                    return PlainTextResponse("missing or invalid CSRF token\n", status_code=403)
            if admin and not user.is_admin:
                return self.render("error.html", request, status=403, user=user,
                                   message="This page is for admins.")
            return await handler(request, user)

        return wrapped

    # --- sign-in ------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        nxt = _safe_next(request.query_params.get("next"))
        resp = self.render("login.html", request, login_csrf=token, next=nxt, error=None, email="")
        resp.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=self._secure(request),
                        path="/console", max_age=3600)
        return resp

    async def login_post(self, request: Request) -> Response:
        try:
            form = await request.form()
        except Exception:
            return PlainTextResponse("malformed form\n", status_code=400)
        if _has_nul(form):
            return PlainTextResponse("NUL characters are not allowed\n", status_code=400)
        email = str(form.get("email") or "").strip().lower()[:255]
        password = str(form.get("password") or "")[:1024]
        nxt = _safe_next(str(form.get("next") or ""))
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not cookie or not auth.csrf_ok(cookie, str(form.get("csrf_token") or "")):
            return PlainTextResponse("missing or invalid CSRF token; reload the sign-in page\n", status_code=403)
        ip = request.client.host if request.client else "?"
        if not self.limiter.allowed(ip, email):
            log.warning("console: sign-in rate limit hit from %s", ip)
            return self.render("login.html", request, status=429, login_csrf=cookie, next=nxt, email=email,
                               error="Too many attempts. Wait a minute and try again.")

        def check() -> tuple[str | None, int | None]:
            with self.services.sessions() as s, s.begin():
                user = auth.get_user(s, email)
                ok = auth.verify_password(user.password_hash if user else None, password)
                if not ok or user is None or not user.active:
                    return None, None
                token = auth.start_session(s, user, self.now())
                s.add(AuditEntry(actor=user.email, action="sign_in", created_at=self.now(), detail={"ip": ip}))
                return token, user.id

        token, uid = await run_in_threadpool(check)
        if token is None:
            self.limiter.failed(ip, email)
            return self.render("login.html", request, status=401, login_csrf=cookie, next=nxt, email=email,
                               error="Wrong email or password.")
        self.limiter.reset(ip, email)
        resp = RedirectResponse(nxt or "/console/inbox", status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=self._secure(request),
                        path="/", max_age=int(auth.SESSION_TTL.total_seconds()))
        resp.delete_cookie(LOGIN_COOKIE, path="/console")
        return resp

    async def logout(self, request: Request, user: auth.SignedIn) -> Response:
        token = request.cookies.get(COOKIE)

        def end() -> None:
            with self.services.sessions() as s, s.begin():
                auth.end_session(s, token, self.now())
                s.add(AuditEntry(actor=user.email, action="sign_out", created_at=self.now(), detail={}))

        await run_in_threadpool(end)
        resp = RedirectResponse("/console/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    async def password_page(self, request: Request, user: auth.SignedIn) -> Response:
        return self.render("password.html", request, user=user, error=None, done=False)

    async def password_post(self, request: Request, user: auth.SignedIn) -> Response:
        form = await request.form()
        current, new = str(form.get("current") or ""), str(form.get("new") or "")

        def change() -> tuple[str | None, str | None]:
            with self.services.sessions() as s, s.begin():
                u = s.get(User, user.user_id)
                if u is None or not auth.verify_password(u.password_hash, current):
                    return None, "The current password is wrong."
                try:
                    auth.set_password(s, u, new)
                except auth.AuthError as exc:
                    return None, str(exc)
                s.add(AuditEntry(actor=u.email, action="password_changed", created_at=self.now(), detail={}))
                return auth.start_session(s, u, self.now()), None

        token, error = await run_in_threadpool(change)
        if token is None:
            return self.render("password.html", request, status=400, user=user, error=error, done=False)
        resp = self.render("password.html", request, user=user, error=None, done=True)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=self._secure(request), path="/",
                        max_age=int(auth.SESSION_TTL.total_seconds()))
        return resp

    # --- inbox ------------------------------------------------------------------------------

    def _inbox(self, user: auth.SignedIn, f: str) -> dict[str, Any]:
        now = self.now()
        with self.services.sessions() as s:
            q = (select(Handoff, Conversation).join(Conversation, Conversation.id == Handoff.conversation_id)
                 .where(Handoff.resolved_at.is_(None)))
            if f == "mine":
                q = q.where(Handoff.assigned_to == user.email)
            elif f == "unassigned":
                q = q.where(Handoff.assigned_to.is_(None))
            rows = []
            for ho, conv in s.execute(q.order_by(Handoff.priority, Handoff.created_at).limit(500)).all():
                last = s.scalar(select(Message.body).where(Message.conversation_id == conv.id,
                                                           Message.direction == "inbound")
                                .order_by(Message.id.desc()).limit(1))
                overdue = ho.sla_due_at is not None and ho.sla_due_at <= now
                acct = conv.account or s.scalar(select(Account).join(Phone, Phone.account_id == Account.id)
                                                .where(Phone.e164 == conv.customer_phone).order_by(Account.id).limit(1))
                rows.append({"handoff": ho, "conv": conv, "last": (last or "")[:140], "overdue": overdue,
                             "who": f"{acct.name} · {acct.account_ref}" if acct else "unknown number",
                             "waiting": now - ho.created_at,
                             "sla_left": (ho.sla_due_at - now) if ho.sla_due_at else None})
            earlier = _escalations(s, [r["handoff"] for r in rows])
            for r in rows:
                r["earlier"] = earlier.get(r["handoff"].id, [])
            rows.sort(key=lambda r: (not r["overdue"], r["handoff"].priority, r["handoff"].created_at))
            agents = s.scalars(select(User.email).where(User.active == 1).order_by(User.email)).all()
            counts = self._counts(s, user, now)
        return {"rows": rows, "agents": agents, "f": f, "counts": counts, "now": now}

    def _counts(self, s: Any, user: auth.SignedIn, now: dt.datetime) -> dict[str, int]:
        open_ = Handoff.resolved_at.is_(None)
        return {
            "all": s.scalar(select(func.count()).select_from(Handoff).where(open_)) or 0,
            "mine": s.scalar(select(func.count()).select_from(Handoff).where(open_, Handoff.assigned_to == user.email)) or 0,
            "unassigned": s.scalar(select(func.count()).select_from(Handoff).where(open_, Handoff.assigned_to.is_(None))) or 0,
            "overdue": s.scalar(select(func.count()).select_from(Handoff).where(open_, Handoff.sla_due_at <= now)) or 0,
        }

    async def inbox(self, request: Request, user: auth.SignedIn) -> Response:
        f = request.query_params.get("f", "all")
        f = f if f in FILTERS else "all"
        data = await run_in_threadpool(self._inbox, user, f)
        return self.render("inbox.html", request, user=user, **data)

    async def inbox_rows(self, request: Request, user: auth.SignedIn) -> Response:
        f = request.query_params.get("f", "all")
        f = f if f in FILTERS else "all"
        data = await run_in_threadpool(self._inbox, user, f)
        return self.render("_inbox_rows.html", request, user=user, **data)

    async def badge(self, request: Request, user: auth.SignedIn) -> Response:
        def counts() -> dict[str, int]:
            with self.services.sessions() as s:
                return self._counts(s, user, self.now())

        return self.render("_badge.html", request, user=user, counts=await run_in_threadpool(counts))

    async def search(self, request: Request, user: auth.SignedIn) -> Response:
        """``GET /console/search?q=…`` (``phone=`` as before): conversations by phone number
        (any format the default region reads), by account reference (exact, case-insensitive)
        or by the holder's name (a part of it, case-insensitive; at least 2 characters) —
        agents are asked about customers by name and reference, not only by number. One
        match opens it; several are listed (at most :data:`SEARCH_LIMIT`)."""
        from bot.phones import normalise_phone

        raw = (request.query_params.get("q") or request.query_params.get("phone") or "").strip()[:64]
        region = str(self.services.settings.behaviour.get("default_region", "US"))
        try:
            phone = normalise_phone(raw, region) if raw else None
        except Exception:
            phone = None

        def find() -> list[tuple[Conversation, str]]:
            with self.services.sessions() as s:
                if not raw:
                    return []
                by_phone = [Conversation.customer_phone == phone] if phone else []
                by_account = []
                if len(raw) >= 2 and "\x00" not in raw:
                    folded = raw.casefold()
                    accts = select(Account.id).where(or_(func.lower(Account.account_ref) == folded,
                                                         func.lower(Account.name).contains(folded, autoescape=True)))
                    by_account = [Conversation.customer_phone.in_(
                        select(Phone.e164).where(Phone.account_id.in_(accts)))]
                if not by_phone and not by_account:
                    return []
                convs = s.scalars(select(Conversation).where(or_(*by_phone, *by_account))
                                  .order_by(Conversation.id).limit(SEARCH_LIMIT)).all()
                names: dict[str, list[str]] = {}
                if convs:
                    for e164, name, ref in s.execute(
                            select(Phone.e164, Account.name, Account.account_ref)
                            .join(Account, Account.id == Phone.account_id)
                            .where(Phone.e164.in_({c.customer_phone for c in convs}))
                            .order_by(Account.id)):
                        names.setdefault(e164, []).append(f"{name} ({ref})")
                return [(c, ", ".join(names.get(c.customer_phone, []))) for c in convs]

        found = await run_in_threadpool(find)
        if len(found) == 1:
            return RedirectResponse(f"/console/c/{found[0][0].id}", status_code=303)
        return self.render("search.html", request, user=user, found=found, phone=raw,
                           error=None if found or not raw else "No conversation matches that number, name or account reference.")

    # --- conversation -------------------------------------------------------------------------

    def _conversation(self, conv_id: int, user: auth.SignedIn) -> dict[str, Any] | None:
        r = self.runner
        now = self.now()
        with self.services.sessions() as s:
            conv = s.get(Conversation, conv_id)
            if conv is None:
                return None
            msgs = s.scalars(select(Message).where(Message.conversation_id == conv_id)
                             .order_by(Message.id)).all()
            ids = [m.id for m in msgs]
            decisions: dict[int, list[Decision]] = {}
            if ids:
                for d in s.scalars(select(Decision).where(Decision.message_id.in_(ids)).order_by(Decision.id)):
                    decisions.setdefault(d.message_id, []).append(d)
            notes = s.scalars(select(Note).where(Note.conversation_id == conv_id).order_by(Note.id)).all()
            facts, accounts = r.facts_for(s, conv, now)
            acct_rows = []
            for a, af in zip(accounts, facts.accounts) if len(accounts) == len(facts.accounts) else []:
                try:
                    local = now.astimezone(ZoneInfo(a.timezone))
                except Exception:
                    local = now
                acct_rows.append({"a": a, "f": af, "local": local})
            acct_ids = [a.id for a in accounts]
            promises = s.scalars(select(Promise).where(Promise.account_id.in_(acct_ids))
                                 .order_by(Promise.id.desc())).all() if acct_ids else []
            plans = s.scalars(select(Plan).where(Plan.account_id.in_(acct_ids))
                              .order_by(Plan.id.desc())).all() if acct_ids else []
            plan_rows = [{"p": p, "inst": list(p.instalments)} for p in plans]
            holds = s.scalars(select(Hold).where(
                (Hold.account_id.in_(acct_ids) if acct_ids else Hold.id < 0) | (Hold.phone == conv.customer_phone),
                Hold.cleared_at.is_(None))).all()
            from runner.outbound import contact_window
            window = contact_window(s, conv.customer_phone)   # US-03 / UK-05
            opted = s.scalar(select(OptOut).where(OptOut.phone == conv.customer_phone, OptOut.channel == "sms",
                                                  OptOut.revoked_at.is_(None))
                             .order_by(OptOut.id.desc()).limit(1))
            handoffs = s.scalars(select(Handoff).where(Handoff.conversation_id == conv_id)
                                 .order_by(Handoff.id.desc()).limit(10)).all()
            flags = s.scalars(select(Flag.name).where(Flag.conversation_id == conv_id).order_by(Flag.id)).all()
            audit_rows = s.scalars(select(AuditEntry).where(AuditEntry.conversation_id == conv_id)
                                   .order_by(AuditEntry.id.desc()).limit(50)).all()
            script = r.script_for(s, conv)
            states = sorted(script.states)
            canned = _canned(script, str(conv.slots.get("lang") or conv.language or "en"), facts)
            agents = s.scalars(select(User.email).where(User.active == 1).order_by(User.email)).all()
            offers = {}
            from bot.dialogs import plans as plan_math

            for row in acct_rows:
                af = row["f"]
                offers[af.account_ref] = plan_math.offers(af.past_due_minor, af.currency,
                                                          facts.policy.get("plans") or {}, row["local"].date())
            s.expunge_all()
        open_handoff = next((h for h in handoffs if h.resolved_at is None), None)
        with self.services.sessions() as s:
            handoff_earlier = _escalations(s, [open_handoff] if open_handoff else []).get(
                open_handoff.id if open_handoff else -1, [])
        refs = {row["a"].id: row["a"].account_ref for row in acct_rows}
        hold_rows: dict[tuple[str, str], dict[str, Any]] = {}
        for h in sorted(holds, key=lambda h: h.id):
            target = refs.get(h.account_id) if h.account_id is not None else "phone"
            if target is None:
                continue
            row = hold_rows.setdefault((h.kind, target), {
                "kind": h.kind, "target": target, "rule": h.rule or hold_rule(h.kind), "since": h.created_at,
                "notes": [], "sources": [], "may_clear": may_clear(h.kind, user.role)})
            if h.note:
                row["notes"].append(h.note)
            if h.source not in row["sources"]:
                row["sources"].append(h.source)
        return {"conv": conv, "msgs": msgs, "decisions": decisions, "notes": notes, "accounts": acct_rows,
                "promises": promises, "plans": plan_rows, "holds": holds, "opted_out": opted,
                "contact_window": window,
                "hold_rows": list(hold_rows.values()), "hold_kinds": AGENT_HOLD_KINDS,
                "handoff_earlier": handoff_earlier,
                "handoffs": handoffs, "open_handoff": open_handoff, "flags": flags, "audit": audit_rows,
                "states": states, "menu": script.menu, "canned": canned, "agents": agents, "offers": offers,
                "now": now, "owner": conv.mode == "agent" and conv.assigned_agent in (None, user.email),
                "can_reply": conv.mode == "agent" and (conv.assigned_agent == user.email or user.is_admin)}

    async def conversation(self, request: Request, user: auth.SignedIn) -> Response:
        conv_id = _int(request.path_params.get("conv_id"))
        data = await run_in_threadpool(self._conversation, conv_id, user) if conv_id else None
        if data is None:
            return self.render("error.html", request, status=404, user=user, message="No such conversation.")
        ok, err = _flash(request, user)
        return self.render("conversation.html", request, user=user, ok=ok, err=err,
                           nonce=secrets.token_urlsafe(16), **data)

    async def thread(self, request: Request, user: auth.SignedIn) -> Response:
        conv_id = _int(request.path_params.get("conv_id"))
        data = await run_in_threadpool(self._conversation, conv_id, user) if conv_id else None
        if data is None:
            return PlainTextResponse("no such conversation\n", status_code=404)
        return self.render("_live.html", request, user=user, **data)

    async def check(self, request: Request, user: auth.SignedIn) -> Response:
        conv_id = _int(request.path_params.get("conv_id"))
        form = await request.form()
        body = str(form.get("body") or "")
        try:
            result = await run_in_threadpool(self.desk.check, conv_id or 0, user.email, body)
        except AgentError as exc:
            return PlainTextResponse(str(exc) + "\n", status_code=404)
        until_local = None
        if result.until is not None:
            try:
                until_local = result.until.astimezone(dt.datetime.fromisoformat(result.local_time).tzinfo)
            except (ValueError, TypeError):
                until_local = result.until
        from bot.segments import GSM7_BASIC, GSM7_EXTENSION

        wide = next((ch for ch in body if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION), None)
        return self.render("_check.html", request, user=user, c=result, empty=not body.strip(), wide=wide,
                           local=dt.datetime.fromisoformat(result.local_time), until_local=until_local)

    async def act(self, request: Request, user: auth.SignedIn) -> Response:
        """Every POST on a conversation: run it, then go back to the conversation view
        with a message (``?ok=`` or ``?err=``; shown as text)."""
        conv_id = _int(request.path_params.get("conv_id"))
        action = request.path_params.get("action")
        if not conv_id:
            return PlainTextResponse("no such conversation\n", status_code=404)
        try:
            form = await request.form()
        except Exception:
            return PlainTextResponse("malformed form\n", status_code=400)
        fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        handler = _ACTIONS.get(str(action))
        if handler is None:
            return PlainTextResponse("unknown action\n", status_code=404)
        try:
            ok = await run_in_threadpool(handler, self, conv_id, user, fields)
            where = _flash_url(f"/console/c/{conv_id}", user, ok=ok)
        except AgentError as exc:
            if exc.code == "not_found":
                return PlainTextResponse(str(exc) + "\n", status_code=404)
            where = _flash_url(f"/console/c/{conv_id}", user, err=str(exc))
        except ValueError as exc:
            where = _flash_url(f"/console/c/{conv_id}", user, err=str(exc))
        return RedirectResponse(where, status_code=303)

    # --- live updates ---------------------------------------------------------------------------

    def _fingerprint(self) -> tuple[Any, ...]:
        with self.services.sessions() as s:
            return (s.scalar(select(func.max(Message.id))), s.scalar(select(func.max(Message.updated_at))),
                    s.scalar(select(func.max(Decision.id))), s.scalar(select(func.max(AuditEntry.id))),
                    s.scalar(select(func.max(Handoff.id))),
                    s.scalar(select(func.count()).select_from(Handoff).where(Handoff.resolved_at.is_(None))),
                    s.scalar(select(func.count()).select_from(Handoff).where(
                        Handoff.resolved_at.is_(None), Handoff.assigned_to.is_(None))),
                    s.scalar(select(func.max(Note.id))))

    def _changed_convs(self, after: tuple[Any, ...]) -> set[int]:
        """Conversations touched since the fingerprint ``after`` (for the poll path)."""
        with self.services.sessions() as s:
            out: set[int] = set()
            msg_id, _, dec_id, aud_id, _, _, _, note_id = after
            out.update(s.scalars(select(Message.conversation_id).where(Message.id > (msg_id or 0))).all())
            out.update(x for x in s.scalars(select(Decision.conversation_id).where(Decision.id > (dec_id or 0))).all() if x)
            out.update(x for x in s.scalars(select(AuditEntry.conversation_id).where(AuditEntry.id > (aud_id or 0))).all() if x)
            out.update(s.scalars(select(Note.conversation_id).where(Note.id > (note_id or 0))).all())
            return out

    async def stream(self, request: Request, user: auth.SignedIn) -> Response:
        from sse_starlette.sse import EventSourceResponse

        token = request.cookies.get(COOKIE)
        if self._streams.get(user.session_id, 0) >= MAX_STREAMS_PER_SESSION:
            return PlainTextResponse("too many open streams for this session\n", status_code=429)

        def still() -> bool:
            with self.services.sessions() as s:
                return auth.load_session(s, token, self.now()) is not None

        async def events() -> Any:
            sub = self.bus.subscribe()
            self._streams[user.session_id] = self._streams.get(user.session_id, 0) + 1
            try:
                last = await run_in_threadpool(self._fingerprint)
                yield {"event": "hello", "data": "ok"}
                while True:
                    msg = await sub.get(POLL_SECONDS)
                    if await request.is_disconnected():
                        break
                    if not await run_in_threadpool(still):     # signed out, expired, revoked
                        yield {"event": "signed-out", "data": "1"}
                        break
                    convs: set[int] = set()
                    if msg is not None:
                        await asyncio.sleep(0.05)   # let a burst settle
                        if msg.get("conversation_id"):
                            convs.add(int(msg["conversation_id"]))
                    now_fp = await run_in_threadpool(self._fingerprint)
                    if now_fp != last:
                        convs |= await run_in_threadpool(self._changed_convs, last)
                        last = now_fp
                    elif msg is None:
                        continue
                    yield {"event": "inbox", "data": "1"}
                    for cid in sorted(convs):
                        yield {"event": f"conv-{cid}", "data": "1"}
            finally:
                await sub.close()
                left = self._streams.get(user.session_id, 1) - 1
                if left > 0:
                    self._streams[user.session_id] = left
                else:
                    self._streams.pop(user.session_id, None)

        return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store",
                                                                 "X-Accel-Buffering": "no"})

    # --- admin -----------------------------------------------------------------------------------

    async def users_page(self, request: Request, user: auth.SignedIn) -> Response:
        def load() -> list[User]:
            with self.services.sessions() as s:
                rows = list(s.scalars(select(User).order_by(User.email)).all())
                s.expunge_all()
                return rows

        ok, err = _flash(request, user)
        return self.render("admin_users.html", request, user=user, users=await run_in_threadpool(load),
                           ok=ok, err=err)

    async def users_post(self, request: Request, user: auth.SignedIn) -> Response:
        form = await request.form()
        email, role, password = (str(form.get(k) or "") for k in ("email", "role", "password"))

        def create() -> str:
            with self.services.sessions() as s, s.begin():
                u = auth.create_user(s, email, role, password, self.now())
                s.add(AuditEntry(actor=user.email, action="user_created", created_at=self.now(),
                                 detail={"email": u.email, "role": u.role}))
                return u.email

        try:
            made = await run_in_threadpool(create)
        except auth.AuthError as exc:
            return RedirectResponse(_flash_url("/console/admin/users", user, err=str(exc)), status_code=303)
        return RedirectResponse(_flash_url("/console/admin/users", user, ok="created " + made), status_code=303)

    async def user_change(self, request: Request, user: auth.SignedIn) -> Response:
        """``signout`` (every session revoked), ``deactivate`` (signed out and refused at
        sign-in) or ``reactivate`` a user. An admin cannot deactivate themself."""
        uid = _int(request.path_params.get("user_id"))
        what = request.path_params.get("what")

        def change() -> str | None:
            with self.services.sessions() as s, s.begin():
                u = s.get(User, uid) if uid else None
                if u is None:
                    return None
                if what == "deactivate":
                    if u.id == user.user_id:
                        raise auth.AuthError("you cannot deactivate yourself")
                    u.active = 0
                    auth.revoke_all(s, u)
                elif what == "reactivate":
                    u.active = 1
                else:
                    auth.revoke_all(s, u)
                s.add(AuditEntry(actor=user.email, action=f"user_{what}", created_at=self.now(),
                                 detail={"email": u.email}))
                return u.email

        if what not in ("signout", "deactivate", "reactivate"):
            return PlainTextResponse("unknown action\n", status_code=404)
        try:
            who = await run_in_threadpool(change)
        except auth.AuthError as exc:
            return RedirectResponse(_flash_url("/console/admin/users", user, err=str(exc)), status_code=303)
        if who is None:
            return PlainTextResponse("no such user\n", status_code=404)
        done = {"signout": "signed out", "deactivate": "deactivated", "reactivate": "reactivated"}[what]
        return RedirectResponse(_flash_url("/console/admin/users", user, ok=f"{done} {who}"), status_code=303)

    async def audit_page(self, request: Request, user: auth.SignedIn) -> Response:
        def load() -> list[AuditEntry]:
            with self.services.sessions() as s:
                rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(500)).all())
                s.expunge_all()
                return rows

        return self.render("audit.html", request, user=user, rows=await run_in_threadpool(load))

    async def root(self, request: Request, user: auth.SignedIn) -> Response:
        return RedirectResponse("/console/inbox", status_code=303)

    def routes(self) -> list[BaseRoute]:
        from console import admin_scripts, admin_settings, results

        g = self.guard
        return [
            Route("/console", g(self.root), methods=["GET"]),
            Route("/console/", g(self.root), methods=["GET"]),
            Route("/console/login", self.login_page, methods=["GET"]),
            Route("/console/login", self.login_post, methods=["POST"]),
            Route("/console/logout", g(self.logout, write=True), methods=["POST"]),
            Route("/console/password", g(self.password_page), methods=["GET"]),
            Route("/console/password", g(self.password_post, write=True), methods=["POST"]),
            Route("/console/inbox", g(self.inbox), methods=["GET"]),
            Route("/console/inbox/rows", g(self.inbox_rows), methods=["GET"]),
            Route("/console/badge", g(self.badge), methods=["GET"]),
            Route("/console/search", g(self.search), methods=["GET"]),
            Route("/console/stream", g(self.stream), methods=["GET"]),
            Route("/console/c/{conv_id}", g(self.conversation), methods=["GET"]),
            Route("/console/c/{conv_id}/thread", g(self.thread), methods=["GET"]),
            Route("/console/c/{conv_id}/check", g(self.check, write=True), methods=["POST"]),
            Route("/console/c/{conv_id}/{action}", g(self.act, write=True), methods=["POST"]),
            Route("/console/admin/users", g(self.users_page, admin=True), methods=["GET"]),
            Route("/console/admin/users", g(self.users_post, admin=True, write=True), methods=["POST"]),
            Route("/console/admin/users/{user_id}/{what}", g(self.user_change, admin=True, write=True),
                  methods=["POST"]),
            Route("/console/admin/audit", g(self.audit_page, admin=True), methods=["GET"]),
            *admin_scripts.routes(self),
            *results.routes(self),
            *admin_settings.routes(self),
            Mount("/console/static", app=StaticFiles(directory=str(HERE / "static")), name="console-static"),
        ]


# --- actions (run in a worker thread) -------------------------------------------------------------

def _do_claim(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    c.desk.claim(conv_id, user.email, role=user.role)
    return "claimed"


def _do_assign(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    to = (f.get("assignee") or "").strip().lower()
    with c.services.sessions() as s:
        if s.scalar(select(User.id).where(User.email == to, User.active == 1)) is None:
            raise ValueError(f"no active user {to!r}")
    c.desk.claim(conv_id, user.email, assignee=to, role=user.role)
    return f"assigned to {to}"


def _do_take_over(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    c.desk.take_over(conv_id, user.email, role=user.role)
    return "you own this conversation; the bot is silent"


def _do_hand_back(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    c.desk.hand_back(conv_id, user.email, f.get("state") or None, role=user.role)
    return "handed back to the bot"


def _do_close(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    c.desk.close(conv_id, user.email, role=user.role)
    return "closed"


def _do_reply(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    out = c.desk.reply(conv_id, user.email, f.get("body", ""), role=user.role, nonce=f.get("nonce") or None)
    if out.verdict.action == "defer" and out.verdict.until:
        return f"queued: {out.verdict.reason}; it goes at {out.verdict.until:%Y-%m-%d %H:%M} UTC"
    return "sent"


def _do_note(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    c.desk.note(conv_id, user.email, f.get("body", ""))
    return "note saved"


def _do_promise(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    from decimal import Decimal, InvalidOperation

    ref = f.get("account_ref", "")
    with c.services.sessions() as s:
        cur = s.scalar(select(Account.currency).where(Account.account_ref == ref))
    if cur is None:
        raise ValueError("choose an account")
    try:
        amount = to_minor(Decimal(f.get("amount", "").strip().replace(",", "")[:32]), cur)
        due = dt.date.fromisoformat(f.get("due_date", "").strip()[:10])
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise ValueError("enter an amount like 50.00 and a date") from exc
    if not 0 < amount <= MAX_MINOR:
        raise ValueError("enter an amount above zero and no larger than the balance")
    c.desk.record_promise(conv_id, user.email, ref, amount, due, role=user.role)
    return f"promise recorded: {format_money(amount, cur, 'en')} on {due.isoformat()}"


def _do_plan(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    try:
        option = int(f.get("option", ""))
    except ValueError as exc:
        raise ValueError("choose a plan") from exc
    c.desk.record_plan(conv_id, user.email, f.get("account_ref", ""), option, role=user.role)
    return "plan recorded"


def _do_hold(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    """Place hold: ``kind``, ``target`` (an account_ref or ``phone``), ``note`` (required)."""
    placed = c.desk.place_hold(conv_id, user.email, f.get("kind", ""), f.get("target", ""), f.get("note", ""),
                               role=user.role)
    if not placed.created:
        return f"you already placed a {placed.kind} hold there ({placed.rule})"
    waiting = f"; {len(placed.refused)} waiting text(s) refused" if placed.refused else ""
    return f"{placed.kind} hold placed ({placed.rule}): collection is paused{waiting}"


def _do_clear_hold(c: Console, conv_id: int, user: auth.SignedIn, f: dict[str, str]) -> str:
    """Clear hold: ``kind``, ``target`` (an account_ref or ``phone``), ``note`` (required)."""
    ids = c.desk.clear_hold(conv_id, user.email, f.get("kind", ""), f.get("target", ""), f.get("note", ""),
                            role=user.role)
    return f"{f.get('kind')} hold cleared ({len(ids)})"


_ACTIONS: dict[str, Callable[[Console, int, auth.SignedIn, dict[str, str]], str]] = {
    "claim": _do_claim, "assign": _do_assign, "take_over": _do_take_over, "hand_back": _do_hand_back,
    "close": _do_close, "reply": _do_reply, "note": _do_note, "promise": _do_promise, "plan": _do_plan,
    "hold": _do_hold, "clear_hold": _do_clear_hold,
}


def _escalations(s: Any, handoffs: list[Handoff]) -> dict[int, list[dict[str, Any]]]:
    """What each open hand-off was before a more urgent request raised it (G-01, UK-07):
    ``{handoff id: [{"reason", "priority"}, ...]}``, oldest first, from the
    ``handoff_escalated`` audit entries of their conversations (one query)."""
    ids = {h.id for h in handoffs}
    if not ids:
        return {}
    out: dict[int, list[dict[str, Any]]] = {}
    for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "handoff_escalated",
            AuditEntry.conversation_id.in_({h.conversation_id for h in handoffs})).order_by(AuditEntry.id)):
        hid = (e.detail or {}).get("handoff_id")
        if hid in ids:
            out.setdefault(hid, []).append(dict((e.detail or {}).get("from") or {}))
    return out


def _canned(script: Any, lang: str, facts: Any) -> list[tuple[str, str]]:
    """Canned replies: the script's ``[canned]`` texts for ``lang`` (falling back to
    English), as ``(title, text)`` pairs."""
    out = []
    for key, texts in sorted((getattr(script, "canned", None) or {}).items()):
        text = texts.get(lang) or texts.get("en")
        if text:
            out.append((key.replace("_", " "), text))
    return out


def _has_nul(form: Any) -> bool:
    """Any field (name or text value) carries a NUL character (PostgreSQL refuses them in
    text; nobody types one)."""
    return any("\x00" in k or (isinstance(v, str) and "\x00" in v) for k, v in form.multi_items())


def _flash_sig(user: auth.SignedIn, kind: str, text: str) -> str:
    import hashlib
    import hmac

    return hmac.new(user.csrf_token.encode(), f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:20]


def _flash_url(base: str, user: auth.SignedIn, ok: str | None = None, err: str | None = None) -> str:
    """``base`` with a one-line message for the next page, signed with the session's
    secret so a crafted link cannot put words in the console's mouth."""
    kind, text = ("ok", ok) if ok is not None else ("err", err or "")
    return f"{base}?{urlencode({kind: text, 'sig': _flash_sig(user, kind, text)})}"


def _flash(request: Request, user: auth.SignedIn) -> tuple[str | None, str | None]:
    """The ``(ok, err)`` message of a :func:`_flash_url` link, if its signature holds."""
    import hmac

    q = request.query_params
    for kind in ("ok", "err"):
        text = q.get(kind)
        if text is not None and hmac.compare_digest(_flash_sig(user, kind, text), q.get("sig", "")):
            return (text, None) if kind == "ok" else (None, text)
    return None, None


def _int(value: Any) -> int | None:
    try:
        v = int(str(value))
    except (TypeError, ValueError):
        return None
    return v if 0 < v < 2**62 else None


def _safe_next(value: str | None) -> str:
    """Only a local console path (never ``//host`` or a scheme) may be a redirect target."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def _env_flag(name: str) -> bool:
    import os

    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")
