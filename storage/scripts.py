"""Dialog script revisions: seed, publish, read the published one.

A script ``name`` (``"default"``) has numbered revisions (1, 2, ...). At most one
is ``published`` at a time; publishing a new one retires the previous. These
functions only add/flush rows: the caller owns the transaction (commit). They do
not validate the TOML body — validate with ``bot.dialogs.validate`` first.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ScriptRevision
from .types import utcnow

__all__ = ["ensure_default_revision", "published_revision", "publish", "NoPublishedScript"]


class NoPublishedScript(LookupError):
    """No revision of the named script is published."""


def _next_revision(session: Session, name: str) -> int:
    current = session.scalar(
        select(func.max(ScriptRevision.revision)).where(ScriptRevision.name == name))
    return (current or 0) + 1


def ensure_default_revision(session: Session, name: str, body: str) -> ScriptRevision:
    """Seed revision 1 of ``name`` with ``body`` (TOML), approved and published by
    ``system``, when no revision of ``name`` exists; otherwise change nothing.
    Returns the published revision (the seeded one, or the existing published one;
    if revisions exist but none is published, the highest revision). Flushes,
    does not commit. Idempotent."""
    existing = session.scalar(
        select(ScriptRevision).where(ScriptRevision.name == name)
        .order_by(ScriptRevision.revision.desc()).limit(1))
    if existing is not None:
        published = session.scalar(
            select(ScriptRevision).where(ScriptRevision.name == name,
                                         ScriptRevision.status == "published"))
        return published or existing
    now = utcnow()
    rev = ScriptRevision(name=name, revision=1, body=body, status="published",
                         created_by="system", approved_by="system", created_at=now,
                         approved_at=now, published_at=now)
    session.add(rev)
    session.flush()
    return rev


def published_revision(session: Session, name: str) -> ScriptRevision:
    """The published revision of ``name``; raises :class:`NoPublishedScript` when
    none is published (seed with :func:`ensure_default_revision`)."""
    rev = session.scalar(
        select(ScriptRevision).where(ScriptRevision.name == name,
                                     ScriptRevision.status == "published")
        .order_by(ScriptRevision.revision.desc()).limit(1))
    if rev is None:
        raise NoPublishedScript(name)
    return rev


def publish(session: Session, name: str, body: str, by: str) -> ScriptRevision:
    """Add ``body`` as the next revision of ``name``, approved and published by
    ``by`` (e.g. ``"admin:ann@example.com"`` or ``"cli"``); the previously
    published revision becomes ``retired``. Conversations keep the revision they
    pinned. Flushes, does not commit; returns the new revision."""
    now = utcnow()
    for old in session.scalars(
            select(ScriptRevision).where(ScriptRevision.name == name,
                                         ScriptRevision.status == "published")):
        old.status = "retired"
    rev = ScriptRevision(name=name, revision=_next_revision(session, name), body=body,
                         status="published", created_by=by, approved_by=by,
                         created_at=now, approved_at=now, published_at=now)
    session.add(rev)
    session.flush()
    return rev
