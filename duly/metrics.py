"""``GET /metrics`` in Prometheus text format.

The gauges are read from the database at scrape time (a custom collector), so every web
process answers the same numbers. The counters and the webhook latency histogram are
kept per process, in prometheus_client's multiprocess files when
``PROMETHEUS_MULTIPROC_DIR`` is set. Only counts: no phone number, name or message body
ever appears here.
"""

from __future__ import annotations

import logging
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from storage.models import Handoff, Message

log = logging.getLogger("duly.metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiproc_dir_problem(environ: Any = None) -> str | None:
    """What is wrong with ``PROMETHEUS_MULTIPROC_DIR``, as one line for the operator, or
    None when it is unset or names a directory this process can create files in.
    prometheus_client switches to multiprocess mode when the variable is *present* (even
    empty: files then land in the working directory) and needs the directory to exist and
    be writable before the first metric is touched; without that ``/metrics`` raised at
    start-up, and every webhook logged a traceback while the counts were dropped. Duly
    never creates it: emptying it is the operator's step, and only while no process runs
    (README, "Running at scale"). The lowercase ``prometheus_multiproc_dir`` (its old
    name) is checked the same way when the uppercase one is absent.

    Args: environ: a mapping like ``os.environ`` (default: ``os.environ``).
    """
    import os
    import tempfile

    env = os.environ if environ is None else environ
    name = next((n for n in ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir") if n in env), None)
    if name is None:
        return None
    path = env[name]
    if not path:
        return f"{name} is set but empty. Set it to a directory, or unset it for one process."
    if not os.path.isdir(path):
        return (f"{name}={path} is not a directory. Create it before starting "
                "(mkdir -p), or unset it for one process.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".duly-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{name}={path} cannot be written ({exc.strerror or exc}). Give this user write access to it."
    return None


class DatabaseCollector:
    """Handoff and outbox figures, read from the database. ``clock()`` gives aware UTC."""

    def __init__(self, sessions: Any, clock: Any):
        self.sessions, self.clock = sessions, clock

    def collect(self) -> Iterator[Any]:
        now = self.clock()
        with self.sessions() as s:
            waiting = GaugeMetricFamily("duly_handoffs_waiting", "Open handoffs by reason", labels=["reason"])
            for reason, n in s.execute(select(Handoff.reason, func.count()).where(Handoff.resolved_at.is_(None))
                                       .group_by(Handoff.reason)).all():
                waiting.add_metric([reason], n)
            yield waiting
            past = s.scalar(select(func.count()).select_from(Handoff).where(
                Handoff.resolved_at.is_(None), Handoff.sla_due_at <= now)) or 0
            yield GaugeMetricFamily("duly_handoffs_past_sla", "Open handoffs past their SLA", value=past)
            alerts = s.scalar(select(func.count()).select_from(Handoff).where(Handoff.alerted_at.is_not(None))) or 0
            yield CounterMetricFamily("duly_handoff_sla_alerts", "SLA alerts raised (all time)", value=alerts)
            outbox = GaugeMetricFamily("duly_outbox_depth", "Outbound messages waiting to go, by status",
                                       labels=["status"])
            for status, n in s.execute(select(Message.status, func.count()).where(
                    Message.direction == "outbound", Message.status.in_(("pending", "deferred")))
                    .group_by(Message.status)).all():
                outbox.add_metric([status], n)
            yield outbox


def make_endpoint(services: Any) -> Any:
    """The ``/metrics`` handler for ``services`` (sessions, runner.clock): the database
    figures plus the process counters (summed over processes with
    ``PROMETHEUS_MULTIPROC_DIR``)."""
    import os

    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(services.sessions, services.runner.clock))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (WEBHOOK_SECONDS, MESSAGES, GATE_DECISIONS):
            try:
                registry.register(collector)
            except ValueError:      # already registered with this registry
                pass

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE)

    return metrics


# --- process metrics (counters and a latency histogram) -------------------------------------------
#
# Incremented where things happen (the webhook edge, the one send path). With
# ``PROMETHEUS_MULTIPROC_DIR`` set (several web or worker processes), prometheus_client
# writes them to files there and ``/metrics`` adds them up across processes; without it
# they live in this process.

from prometheus_client import Counter, Histogram  # noqa: E402

WEBHOOK_SECONDS = Histogram("duly_webhook_seconds", "Webhook handling time, seconds", ["route", "code"],
                            buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15))
MESSAGES = Counter("duly_messages", "Messages stored, by direction and status at creation",
                   ["direction", "status"])
GATE_DECISIONS = Counter("duly_gate_decisions", "Outbound gate decisions by rule and verdict",
                         ["rule", "verdict", "stage"])


def count_message(direction: str, status: str) -> None:
    """Count one stored message (never raises)."""
    try:
        MESSAGES.labels(direction, status).inc()
    except Exception:
        pass


def count_decision(rule: str, verdict: str, stage: str) -> None:
    """Count one gate decision (never raises)."""
    try:
        GATE_DECISIONS.labels(rule, verdict, stage).inc()
    except Exception:
        pass


class WebhookTimer:
    """Pure ASGI middleware timing ``/webhooks/*`` requests into :data:`WEBHOOK_SECONDS`."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope.get("type") != "http" or not path.startswith("/webhooks/"):
            await self.app(scope, receive, send)
            return
        import time

        start = time.perf_counter()
        code = {"v": "500"}

        async def send_code(message: dict) -> None:
            if message.get("type") == "http.response.start":
                code["v"] = str(message.get("status", 500))
            await send(message)

        try:
            await self.app(scope, receive, send_code)
        finally:
            route = path.rsplit("/", 1)[-1][:16]
            try:
                WEBHOOK_SECONDS.labels(route, code["v"]).observe(time.perf_counter() - start)
            except Exception:   # a metrics file that cannot be written never fails a webhook
                log.warning("webhook latency not recorded", exc_info=True)
