"""One open hand-off per conversation, raised by whatever is more urgent (G-01, UK-07).

A conversation has at most one open hand-off. When the step asks for another while one
is open, the open one takes the more urgent of the two: its reason, priority and SLA
(a cease "stop contacting me" while a counter-offer waits makes it a hold review at
priority 2; self-harm words while a dispute waits make it hardship at priority 1). The
earlier reason stays on record (:attr:`Raised.earlier`), the SLA only ever moves
forward, and a less urgent request never lowers anything. Pure: the runner writes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Raised:
    """The open hand-off after another request: ``reason``, ``priority`` (1 highest),
    ``sla_due_at`` (aware UTC or ``None``), and ``earlier``: ``(reason, priority)`` it
    had before when the reason changed, else ``None``."""

    reason: str
    priority: int
    sla_due_at: dt.datetime | None
    earlier: tuple[str, int] | None = None


def _key(priority: int | None, due: dt.datetime | None) -> tuple[int, float]:
    return (priority if priority is not None else 99, due.timestamp() if due is not None else float("inf"))


def raise_open(open_reason: str, open_priority: int | None, open_due: dt.datetime | None,
               reason: str, priority: int, due: dt.datetime | None) -> Raised:
    """The open hand-off (``open_reason``, ``open_priority``, ``open_due``) after a new
    request (``reason``, ``priority``, ``due``: its SLA). The request is more urgent
    when its priority is higher (a lower number), or equal with an earlier SLA; then the
    hand-off takes its reason and priority, and ``earlier`` names what it was (G-01:
    the person picking it up sees why it is urgent now; UK-07: self-harm words are
    escalated at once). Whatever the reason, the SLA becomes the earlier of the two
    (never later). Returns :class:`Raised`."""
    sla = open_due if due is None or (open_due is not None and open_due <= due) else due
    if _key(priority, due) < _key(open_priority, open_due) and reason != open_reason:
        return Raised(reason, min(priority, open_priority if open_priority is not None else 99), sla,
                      (open_reason, open_priority if open_priority is not None else 99))
    best = priority if open_priority is None else min(open_priority, priority)
    return Raised(open_reason, best, sla)
