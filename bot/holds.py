"""Holds that people place and clear (an agent in the console, the loan system through
``POST /api/holds``): which kinds each may place, the rule each kind cites, who may
clear one, and what a note must be. Pure: the database side is :mod:`runner.holds`.

A hold only ever stops collection (the outbound gate refuses what it covers: US-16
dispute, US-17 cease, US-18 attorney, bankruptcy, UK-07 vulnerability and deceased), so
any agent may place one. Clearing a *silencing* hold (:data:`bot.gate.SILENCING_HOLDS`:
cease, attorney, bankruptcy, deceased, recalled) lets texts reach someone who asked for
them to stop, or who is represented, bankrupt or dead: only an admin (the console's
supervising role) may. Every place and clear carries a note saying why.
"""

from __future__ import annotations

from bot.gate import SILENCING_HOLDS

#: Kinds an agent may place from the console, in the order the form lists them.
AGENT_HOLD_KINDS: tuple[str, ...] = ("dispute", "cease", "attorney", "bankruptcy", "vulnerability", "deceased")
#: Kinds the loan system may set and clear (post, court, recall).
API_HOLD_KINDS: tuple[str, ...] = ("bankruptcy", "deceased", "dispute", "cease", "recalled", "attorney")
#: Roles that may clear a silencing hold (console roles: ``agent``, ``admin``).
SILENCING_CLEARERS: frozenset[str] = frozenset({"admin"})
#: Longest note on a hold (characters).
MAX_HOLD_NOTE = 1000


def may_clear(kind: str, role: str) -> bool:
    """Whether a console user of ``role`` (``agent``/``admin``) may clear a hold of
    ``kind``: a silencing hold (US-17 cease, US-18 attorney, bankruptcy, deceased,
    recalled) only for :data:`SILENCING_CLEARERS`; any other hold (US-16 dispute, UK-07
    vulnerability, ...) for any signed-in role."""
    if kind in SILENCING_HOLDS:
        return role in SILENCING_CLEARERS
    return role in ("agent", "admin")


def clean_note(note: object, *, required: bool) -> str | None:
    """The note of a place or clear request, trimmed: ``None`` when absent and not
    ``required``. Raises ``ValueError`` (a sentence for the person) when a required note
    is missing or blank, when it is not text, or when it is longer than
    :data:`MAX_HOLD_NOTE` characters."""
    if note is None and not required:
        return None
    if not isinstance(note, str):
        raise ValueError("the note must be text")
    text = note.strip()
    if not text:
        if required:
            raise ValueError("write a note: why the hold is placed or cleared")
        return None
    if len(text) > MAX_HOLD_NOTE:
        raise ValueError(f"the note is longer than {MAX_HOLD_NOTE} characters")
    return text
