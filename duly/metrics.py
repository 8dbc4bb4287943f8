"""``GET /metrics`` in Prometheus text format.

The gauges are read from the database at scrape time (a custom collector), so every web
process answers the same numbers and nothing needs multiprocess bookkeeping. Only counts:
no phone number, name or message body ever appears here.
"""

from __future__ import annotations

from typing import Any, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from storage.models import Handoff, Message

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


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
    """The ``/metrics`` handler for ``services`` (sessions, runner.clock)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(services.sessions, services.runner.clock))

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE)

    return metrics
