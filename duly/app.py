"""The Starlette application: webhooks, JSON API, health check.

``create_app()`` wires the edges together: settings, database, runner, transport and
clock are made here (or injected by tests) and hung on ``app.state.services``.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from duly import api
from duly.config import Settings, load_settings
from runner.inbound import Clock, Runner, utcnow
from storage import db as storage_db
from webhooks import twilio as twilio_hooks

log = logging.getLogger("duly.app")


@dataclass
class Services:
    """The app's edges: configuration, database, runner."""

    settings: Settings
    engine: Any
    sessions: Any
    runner: Runner
    #: admins' versioned settings over config.toml (:mod:`storage.settings_store`)
    settings_store: Any = None


def make_transport(settings: Settings, http_client: Any = None) -> Any:
    """The transport for ``settings.transport``: console, or Twilio's REST API."""
    from runner.transports import ConsoleTransport, TwilioTransport

    if settings.transport == "twilio":
        import os

        return TwilioTransport(settings.account_sid or "", settings.auth_token or "",
                               from_=settings.twilio_from,
                               messaging_service_sid=settings.messaging_service_sid,
                               http_client=http_client, api_base=os.environ.get("TWILIO_API_BASE") or None)
    return ConsoleTransport()


def make_services(settings: Settings | None = None, *, clock: Clock = utcnow, transport: Any = None,
                  engine: Any = None, migrate: bool | None = None) -> Services:
    """Build the services. ``migrate``: run migrations and seed the default script
    (default: yes on SQLite, where one process owns the file; PostgreSQL deployments
    migrate once per deploy with ``duly db upgrade``, the Procfile's release line)."""
    settings = settings or load_settings()
    if engine is None:
        pool = storage_db.pool_options(settings.behaviour) if not settings.database_url.startswith("sqlite") else {}
        engine = storage_db.make_engine(settings.database_url, **pool)
    if migrate is None:
        migrate = engine.dialect.name == "sqlite"
    if migrate:
        storage_db.upgrade(engine)
    sessions = storage_db.make_sessionmaker(engine)
    seed_script(sessions, settings)
    if transport is None:
        try:
            transport = make_transport(settings)
        except ValueError as exc:
            log.warning("no outbound transport: %s", exc)
    from storage.settings_store import SettingsStore

    store = SettingsStore(sessions, settings.behaviour)
    runner = Runner(settings, sessions, clock=clock, transport=transport)
    runner.settings_store = store
    if settings.redis_url:
        from storage.kv import make_kv

        runner.kv = make_kv(settings.redis_url)
    return Services(settings, engine, sessions, runner, store)


def seed_script(sessions: Any, settings: Settings) -> None:
    """Seed the shipped default script as revision 1 (approved, published) if the
    database has none."""
    from bot import dialogs
    from storage import scripts

    from sqlalchemy.exc import IntegrityError

    name = str(settings.behaviour.get("script", "default"))
    try:
        with sessions() as s, s.begin():
            scripts.ensure_default_revision(s, name, dialogs.default_script_text())
    except IntegrityError:  # another process seeded it at the same moment
        pass


def create_app(services: Services | None = None, **kwargs: Any) -> Starlette:
    """The ASGI app. ``services`` (or ``make_services(**kwargs)``) supplies the edges."""
    services = services or make_services(**kwargs)

    async def healthz(request: Request) -> Response:
        ok = await run_in_threadpool(storage_db.ping, services.engine)
        detail = {"database": "ok" if ok else "down"}
        if services.settings.redis_url:
            ok_r = await run_in_threadpool(_redis_ok, services.settings.redis_url)
            detail["redis"] = "ok" if ok_r else "down"
            ok = ok and ok_r
        return JSONResponse({"status": "ok" if ok else "down", **detail}, status_code=200 if ok else 503)

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code)

    async def on_error(request: Request, exc: Exception) -> Response:
        from sqlalchemy.exc import InterfaceError, OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout

        from runner.inbound import ConversationBusy

        down = isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, ConnectionError, ConversationBusy))
        if down:
            # the database (or Redis) is unreachable: a clear 503 the caller can retry
            log.error("service unavailable on %s: %s", request.url.path, type(exc).__name__)
        else:
            log.error("unhandled error on %s", request.url.path, exc_info=exc)
        if request.url.path.startswith("/webhooks/") or down:
            # Twilio retries on a 5xx; say so plainly, never with a traceback.
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": "temporarily unavailable"}, status_code=503,
                                    headers={"Retry-After": "5"})
            return PlainTextResponse("temporarily unavailable\n", status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"error": "internal error"}, status_code=500)

    from console.app import Console
    from duly.metrics import make_endpoint as make_metrics

    console = Console(services)
    routes = [
        *twilio_hooks.routes(services),
        Route("/healthz", healthz, methods=["GET"]),
        *api.routes(),
        *console.routes(),
        Route("/metrics", make_metrics(services), methods=["GET"]),
    ]
    from starlette.middleware import Middleware

    from duly.logs import RequestIdMiddleware
    from duly.metrics import WebhookTimer

    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    # Outage errors get their own handlers: Starlette answers those in its exception
    # middleware and keeps the connection open (a bare Exception handler re-raises to the
    # server, which then drops the keep-alive connection).
    handlers: dict[Any, Any] = {HTTPException: on_http_error, Exception: on_error}
    from runner.inbound import ConversationBusy

    for outage in (OperationalError, InterfaceError, PoolTimeout, ConnectionError, ConversationBusy):
        handlers[outage] = on_error
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await run_in_threadpool(warm_up, services.runner)
        yield

    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan,
                    middleware=[Middleware(RequestIdMiddleware), Middleware(WebhookTimer),
                                Middleware(CatchAll, handler=on_error)])
    app.state.services = services
    app.state.console = console
    return app


#: Replies that take each reader's lazy first-use path: dates, amounts, the word-frequency
#: list behind typo correction ("stpo"), Chinese numerals (cn2an) and the Chinese
#: segmenter (jieba, ~0.6 s to build; 还有 is the ambiguous case it decides).
WARM_UP_REPLIES: tuple[tuple[str, str], ...] = (
    ("I can pay $50 next friday at 3pm", "America/New_York"),
    ("stpo", "America/New_York"),
    ("下周五还", "Asia/Shanghai"),
    ("两点半前还两千", "Asia/Shanghai"),
    ("明天还有事", "Asia/Shanghai"),
)


def warm_up(runner: Any = None) -> None:
    """Make a fresh process ready for traffic (``duly serve`` at start-up, ``duly worker``
    before its first pass): read :data:`WARM_UP_REPLIES`, so the word lists, Chinese
    numerals and the Chinese segmenter load now rather than inside a customer's webhook
    (0.1–0.7 s each, the slowest answers of a fresh process); with ``runner`` (a
    :class:`runner.inbound.Runner`), load and compile the published script revision too
    (its ~140 templates: about 1.7 s on a loaded dev box, the first webhook's wait); then
    move everything alive into the garbage collector's permanent generation
    (:func:`gc.freeze`): a full collection would otherwise walk those ~130,000 long-lived
    objects each time (about 60 ms on the dev box), a pause in some webhook's answer.
    Never raises."""
    import datetime as dt
    import gc

    try:
        from bot.intents import interpret

        now = dt.datetime.now(dt.timezone.utc)
        for text, tz in WARM_UP_REPLIES:
            interpret(text, now=now, tz=tz)
        if runner is not None:
            runner.warm_up_script()
    except Exception:  # a warm-up must never stop a start
        log.warning("warm-up failed; the first replies will load what they need", exc_info=True)
    gc.collect()
    gc.freeze()


class CatchAll:
    """Pure ASGI middleware: an exception nothing else handled gets ``handler``'s answer
    (503 on webhooks, a JSON 500 elsewhere, never a traceback) right here. Starlette's
    outermost error middleware would answer too, but then re-raise to the server, which
    drops the keep-alive connection under the next request (Twilio's retry among them)."""

    def __init__(self, app: Any, handler: Any):
        self.app, self.handler = app, handler

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = {"v": False}

        async def watch(message: dict) -> None:
            if message.get("type") == "http.response.start":
                started["v"] = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started["v"]:
                raise
            response = await self.handler(Request(scope), exc)
            await response(scope, receive, send)


def _redis_ok(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False
