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

__all__ = ["ensure_default_revision", "published_revision", "publish", "NoPublishedScript", "WorkflowError",
           "StaleRevision", "revision", "revisions", "save_draft", "submit", "approve", "publish_revision",
           "rollback", "at_rest", "send_back", "submit_text", "same_person"]


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


def publish(session: Session, name: str, body: str, by: str, *, now=None, **detail) -> ScriptRevision:
    """Add ``body`` as the next revision of ``name``, approved and published by
    ``by`` (e.g. ``"admin:ann@example.com"`` or ``"cli:ann"``) with no second person: for
    deployments without four eyes (``[scripts] four_eyes = false``) and for tests. The
    previously published revision becomes ``retired``. Conversations keep the revision
    they pinned. Writes an audit entry ``script_published`` (``detail`` added to it).
    Flushes, does not commit; returns the new revision."""
    now = now or utcnow()
    for old in session.scalars(
            select(ScriptRevision).where(ScriptRevision.name == name,
                                         ScriptRevision.status == "published")):
        old.status = "retired"
    rev = ScriptRevision(name=name, revision=_next_revision(session, name), body=body,
                         status="published", created_by=by, approved_by=by,
                         created_at=now, approved_at=now, published_at=now)
    session.add(rev)
    session.flush()
    _audit(session, by, "script_published", rev, now, four_eyes=False, **detail)
    return rev


def submit_text(session: Session, name: str, body: str, *, by: str, now, note: str = "",
                **detail) -> ScriptRevision:
    """Add ``body`` as the next revision of ``name``, already submitted for approval by
    ``by`` (``duly scripts publish FILE`` under four eyes: the text was written and
    reviewed outside Duly, and a second admin approves and publishes it in the console).
    It is based on the published revision (not on anyone's unpublished draft, whose
    author would otherwise count as one of its authors). The caller validates first.
    Writes an audit entry ``script_submitted`` (``detail`` added to it). Flushes."""
    published = session.scalar(select(ScriptRevision.revision).where(
        ScriptRevision.name == name, ScriptRevision.status == "published").limit(1))
    rev = ScriptRevision(name=name, revision=_next_revision(session, name), body=body, status="submitted",
                         created_by=by, created_at=now, submitted_by=by, submitted_at=now,
                         based_on=published, note=note or None)
    session.add(rev)
    session.flush()
    _audit(session, by, "script_submitted", rev, now, **detail)
    return rev


# --- the editing workflow: draft → submitted → approved (four eyes) → published -----------------

class WorkflowError(ValueError):
    """A workflow step cannot be done (wrong status, same person approving, problems in
    the script, unknown revision). ``str()`` is a sentence for the admin."""


class StaleRevision(WorkflowError):
    """A save based on a revision that is no longer the newest; names who saved the newer."""


def _audit(session: Session, actor: str, action: str, rev: ScriptRevision, now, **detail) -> None:
    from .models import AuditEntry

    session.add(AuditEntry(actor=actor, action=action, created_at=now,
                           detail={"script": rev.name, "revision": rev.revision, **detail}))


def revision(session: Session, name: str, number: int) -> ScriptRevision:
    """Revision ``number`` of ``name``; raises :class:`WorkflowError` when there is none."""
    rev = session.scalar(select(ScriptRevision).where(ScriptRevision.name == name,
                                                      ScriptRevision.revision == number))
    if rev is None:
        raise WorkflowError(f"{name} has no revision {number}")
    return rev


def revisions(session: Session, name: str) -> list[ScriptRevision]:
    """Every revision of ``name``, newest first."""
    return list(session.scalars(select(ScriptRevision).where(ScriptRevision.name == name)
                                .order_by(ScriptRevision.revision.desc())).all())


def save_draft(session: Session, name: str, body: str, *, based_on: int, by: str, now,
               note: str = "") -> ScriptRevision:
    """Save ``body`` as a new draft revision of ``name``, edited from revision ``based_on``.
    Refused (:class:`StaleRevision`) when a newer revision than ``based_on`` exists: the
    message names who saved it and when, so nobody overwrites a colleague's change
    unseen. Drafts may have validation problems; submitting needs none. Flushes."""
    newest = session.scalar(select(ScriptRevision).where(ScriptRevision.name == name)
                            .order_by(ScriptRevision.revision.desc()).limit(1))
    if newest is not None and newest.revision > based_on:
        raise StaleRevision(f"revision {newest.revision} was saved by {newest.created_by} at "
                            f"{newest.created_at:%Y-%m-%d %H:%M} UTC after revision {based_on} you edited; "
                            f"open revision {newest.revision} and make your change there")
    rev = ScriptRevision(name=name, revision=_next_revision(session, name), body=body, status="draft",
                         created_by=by, created_at=now, based_on=based_on, note=note or None)
    session.add(rev)
    session.flush()
    _audit(session, by, "script_saved", rev, now, based_on=based_on)
    return rev


def submit(session: Session, rev: ScriptRevision, *, by: str, now, problems: list) -> None:
    """Draft → submitted for approval. Refused while the script has validation
    ``problems`` (the caller validates, with the profiles). Flushes."""
    if rev.status != "draft":
        raise WorkflowError(f"revision {rev.revision} is {rev.status}, not a draft")
    if problems:
        raise WorkflowError(f"revision {rev.revision} has {len(problems)} problem(s); fix them before submitting")
    rev.status, rev.submitted_by, rev.submitted_at = "submitted", by, now
    session.flush()
    _audit(session, by, "script_submitted", rev, now)


def approve(session: Session, rev: ScriptRevision, *, by: str, now, four_eyes: bool = True) -> None:
    """Submitted → approved. With ``four_eyes`` (config ``[scripts] four_eyes``, default
    true) the approver must be a different person from the author and the submitter."""
    if rev.status != "submitted":
        raise WorkflowError(f"revision {rev.revision} is {rev.status}, not submitted")
    if four_eyes and any(same_person(by, a) for a in _authors(session, rev)):
        raise WorkflowError("a second admin must approve (four eyes): you wrote or submitted this revision "
                            "or an unpublished revision it was built on")
    rev.status, rev.approved_by, rev.approved_at = "approved", by, now
    session.flush()
    _audit(session, by, "script_approved", rev, now)


def send_back(session: Session, rev: ScriptRevision, *, by: str, now) -> None:
    """Submitted or approved → draft again (the approver wants changes; it is never
    published as it is). Flushes."""
    if rev.status not in ("submitted", "approved"):
        raise WorkflowError(f"revision {rev.revision} is {rev.status}; only a submitted or approved revision "
                            "can be sent back")
    rev.status, rev.submitted_by, rev.submitted_at, rev.approved_by, rev.approved_at = "draft", None, None, None, None
    session.flush()
    _audit(session, by, "script_sent_back", rev, now)


def same_person(a: str, b: str) -> bool:
    """Whether two actor names are one person: case aside, and ``cli:ann@example.com``
    (what ``duly scripts publish --by ann@example.com`` records) is ``ann@example.com``
    (her console sign-in) — so four eyes holds across the CLI and the console."""
    def who(x: str) -> str:
        x = (x or "").strip().casefold()
        return x[4:] if x.startswith("cli:") else x
    return who(a) == who(b)


def _authors(session: Session, rev: ScriptRevision) -> set[str]:
    """Everyone whose text is in ``rev`` unreviewed: its author and submitter, and the
    authors of the unpublished revisions it was edited from (back to a published one)."""
    out = {rev.created_by, rev.submitted_by} - {None}
    number, seen = rev.based_on, set()
    while number and number not in seen:
        seen.add(number)
        anc = session.scalar(select(ScriptRevision).where(ScriptRevision.name == rev.name,
                                                          ScriptRevision.revision == number))
        if anc is None or anc.published_at is not None:
            break
        out |= {anc.created_by, anc.submitted_by} - {None}
        number = anc.based_on
    return out


def publish_revision(session: Session, rev: ScriptRevision, *, by: str, now) -> None:
    """Approved → published; the revision published before is retired. New conversations
    start on it; conversations already under way finish on the revision they are pinned
    to and move over when they come to rest (:func:`at_rest`)."""
    if rev.status != "approved":
        raise WorkflowError(f"revision {rev.revision} is {rev.status}, not approved")
    _publish(session, rev, by=by, now=now, action="script_published")


def rollback(session: Session, rev: ScriptRevision, *, by: str, now) -> None:
    """Publish an earlier revision again (one that was published before, now retired)."""
    if rev.status != "retired" or rev.published_at is None:
        raise WorkflowError(f"revision {rev.revision} was never published; only an earlier published "
                            "revision can be rolled back to")
    _publish(session, rev, by=by, now=now, action="script_rolled_back")


def _publish(session: Session, rev: ScriptRevision, *, by: str, now, action: str) -> None:
    for old in session.scalars(select(ScriptRevision).where(ScriptRevision.name == rev.name,
                                                            ScriptRevision.status == "published")):
        old.status = "retired"
    session.flush()
    rev.status, rev.published_at = "published", now
    session.flush()
    _audit(session, by, action, rev, now)


#: slots that mean a conversation is in the middle of something
BUSY_SLOTS = ("promise", "plans", "plan_choice", "pending_request", "account_choices", "identity_pending", "on_offer")


def at_rest(state: str, mode: str, slots: dict, script) -> bool:
    """A conversation may move to a newly published revision: the bot has it, it sits at
    the script's start or menu, and nothing is pending (no promise or plan being agreed,
    no question waiting)."""
    return (mode == "bot" and state in (script.initial, script.menu)
            and not any(slots.get(k) for k in BUSY_SLOTS))
