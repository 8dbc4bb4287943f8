"""HTTP servers the benchmarks run in child processes (fork), under uvicorn with
``duly serve``'s settings: Duly itself, the bare webhook endpoint, a fake Twilio API.

``Servers(kind, processes, ...)`` binds one loopback socket and starts ``processes``
uvicorn processes accepting on it; ``cpu_seconds()`` reads their CPU use from ``/proc``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from bench.common import SMS_PATH, ShiftedClock, load_settings


def bare_app(answer: str) -> Any:
    """One route on the SMS webhook's path: read the body, parse the form exactly as Duly
    does (``parse_qsl`` into ``webhooks.twilio.FormParams``), answer ``answer`` as TwiML."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from webhooks.twilio import FormParams

    async def sms(request: Request) -> Response:
        raw = await request.body()
        params = FormParams(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        params.first("MessageSid")
        return Response(answer, media_type="text/xml")

    return Starlette(routes=[Route(SMS_PATH, sms, methods=["POST"])])


#: The table :func:`store_app` writes (created by :func:`create_store_table` before the servers start).
STORE_TABLE = "bench_store_inbound"


def _store_table(metadata: Any) -> Any:
    from sqlalchemy import Column, DateTime, Integer, String, Table, Text

    return Table(STORE_TABLE, metadata,
                 Column("id", Integer, primary_key=True),
                 Column("provider_sid", String(64), nullable=False, unique=True),
                 Column("from_number", String(32), nullable=False),
                 Column("to_number", String(32), nullable=False),
                 Column("body", Text, nullable=False),
                 Column("created_at", DateTime(timezone=True), nullable=False))


def create_store_table(engine: Any) -> None:
    """Create :data:`STORE_TABLE` on ``engine`` (once, before the store servers fork)."""
    from sqlalchemy import MetaData

    md = MetaData()
    _store_table(md)
    md.create_all(engine)


def store_app(answer: str, db_url: str) -> Any:
    """The least a webhook can do and still lose nothing: Duly's own signature check and
    form parsing (``webhooks.twilio.read_signed_form``, same auth token and public URL),
    then one INSERT of the message (MessageSid unique) committed through an engine made
    like Duly's (``storage.db.make_engine``: WAL and the writer lock on SQLite, the same
    pool on PostgreSQL), in the thread pool as Duly runs its step, and the TwiML
    ``answer``. No conversation lock, no intents, no step, no gate: the floor under any
    webhook that stores a message before acting on it."""
    import datetime as dt

    from sqlalchemy import MetaData
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from bench.common import AUTH_TOKEN, PUBLIC_BASE
    from storage.db import make_engine
    from webhooks.twilio import read_signed_form

    engine = make_engine(db_url)
    insert = _store_table(MetaData()).insert()

    def store(params: Any) -> None:
        with engine.begin() as conn:
            conn.execute(insert, {"provider_sid": params.first("MessageSid"), "from_number": params.first("From"),
                                  "to_number": params.first("To"), "body": params.first("Body") or "",
                                  "created_at": dt.datetime.now(dt.timezone.utc)})

    async def sms(request: Request) -> Response:
        params, error = await read_signed_form(request, AUTH_TOKEN, PUBLIC_BASE)
        if error is not None:
            return error
        await run_in_threadpool(store, params)
        return Response(answer, media_type="text/xml")

    return Starlette(routes=[Route(SMS_PATH, sms, methods=["POST"])])


def fake_twilio_app() -> Any:
    """Twilio's Messages API as far as sending goes: ``POST /2010-04-01/Accounts/{sid}/
    Messages.json`` answers 201 with the message resource (status ``queued``) and records
    the arrival time (``time.time()``); ``GET /_arrivals`` returns the times."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    arrivals: list[float] = []

    async def create(request: Request) -> Response:
        arrivals.append(time.time())
        form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
        sid = "SM" + uuid.uuid4().hex
        account = request.path_params["sid"]
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        body = {"account_sid": account, "api_version": "2010-04-01", "body": form.get("Body", ""),
                "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
                "error_code": None, "error_message": None, "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
                "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
                "subresource_uris": {"media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"},
                "to": form.get("To"), "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json"}
        return Response(json.dumps(body), status_code=201, media_type="application/json")

    async def get_arrivals(request: Request) -> Response:
        return JSONResponse(arrivals)

    return Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", create, methods=["POST"]),
                             Route("/_arrivals", get_arrivals, methods=["GET"])])


def _serve(kind: str, sock: socket.socket, opts: dict[str, Any], ready: Any) -> None:
    import faulthandler
    import signal

    import uvicorn

    # `kill -USR1 <pid>` prints every thread's stack to stderr (a stuck server's story)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("duly", "uvicorn", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if kind == "duly":
        from duly.app import create_app, make_services

        settings = load_settings(opts["db_url"], **opts.get("env", {}))
        services = make_services(settings, clock=ShiftedClock(opts["start"], opts["wall0"]), migrate=False)
        app = create_app(services)
    elif kind == "bare":
        app = bare_app(opts["answer"])
    elif kind == "store":
        app = store_app(opts["answer"], opts["db_url"])
    elif kind == "twilio":
        app = fake_twilio_app()
    else:
        raise ValueError(kind)
    # `duly serve`'s uvicorn settings (duly/cli.py cmd_serve), quiet
    server = uvicorn.Server(uvicorn.Config(app, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                                           log_level="warning", access_log=False,
                                           timeout_graceful_shutdown=10))

    def watch() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    server.run(sockets=[sock])


class Servers:
    """``processes`` uvicorn processes (fork) serving ``kind`` (``duly``: needs ``db_url``,
    ``env``, ``start``, ``wall0`` — the business clock; ``bare``: needs ``answer``; ``store``:
    ``answer`` and ``db_url``; ``twilio``) on one loopback socket."""

    def __init__(self, kind: str, processes: int = 1, **opts: Any):
        self.kind, self.n, self.opts = kind, max(1, processes), opts
        self.procs: list[Any] = []
        self.sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Servers":
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        # IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted connections (as it does when
        # uvicorn binds host:port itself); on a proto-0 socket Nagle's algorithm stalls each
        # answer whose body goes out in a second write by ~40 ms (delayed ACK).
        # One listening socket per process on the same port (SO_REUSEPORT): the kernel
        # spreads new connections over the processes, as a load balancer would. One shared
        # socket let whichever process accepted first keep most keep-alive connections,
        # so "2 processes" mostly measured one.
        def listener(port: int) -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.n > 1:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", port))
            return sock

        self.sock = listener(0)
        self.port = self.sock.getsockname()[1]
        self.socks = [self.sock] + [listener(self.port) for _ in range(self.n - 1)]
        events = []
        for sock in self.socks:
            ev = ctx.Event()
            p = ctx.Process(target=_serve, args=(self.kind, sock, self.opts, ev), daemon=True)
            p.start()
            self.procs.append(p)
            events.append(ev)
        deadline = time.monotonic() + 60
        for ev, p in zip(events, self.procs):
            while not ev.wait(0.2):
                if not p.is_alive() or time.monotonic() > deadline:
                    code = p.exitcode
                    self.__exit__(None, None, None)
                    raise RuntimeError(f"{self.kind} server did not start (exit code {code})")
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server processes used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for p in self.procs:
            try:
                with open(f"/proc/{p.pid}/stat") as fh:
                    f = fh.read().rsplit(")", 1)[1].split()
                total += (int(f[11]) + int(f[12])) / tick
            except OSError:
                pass
        return total

    def __exit__(self, *exc: Any) -> None:
        for p in self.procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: uvicorn shuts down gracefully
        for p in self.procs:
            p.join(15)
            if p.is_alive():
                p.kill()
                p.join()
        for sock in getattr(self, "socks", []):
            sock.close()
        self.socks = []
        self.sock = None


__all__ = ["STORE_TABLE", "Servers", "bare_app", "create_store_table", "fake_twilio_app", "store_app"]
