"""Holder names as Duly compares them (pure; no I/O).

The accounts import (:mod:`storage.accounts`) and the dialog engine share these: the
import warns when a phone already serves an account of another holder, and the engine
tells a shared phone's holders apart before any debt detail (US-12, UK-06, CN-02).
"""

from __future__ import annotations

import unicodedata
from typing import Iterable

__all__ = ["fold", "same_name", "names_overlap", "different_holders", "one_holder"]


def fold(v: str | None) -> str:
    """NFKC (full-width letters and digits), casefolded: how names and references compare."""
    return unicodedata.normalize("NFKC", v or "").casefold()


def same_name(a: str | None, b: str | None) -> bool:
    """Two spellings of one name: NFKC, casefolded, whitespace collapsed."""
    return fold(a).split() == fold(b).split()


def _parts(v: str | None) -> set[str]:
    words = fold(v).replace("-", " ").split()
    out = set(words)
    for w in words:
        if any(ord(ch) > 0x2E7F for ch in w):   # written without spaces (Chinese): characters
            out.update(w)
    return out


def names_overlap(a: str | None, b: str | None) -> bool:
    """Whether two names share a word (NFKC, casefolded) — or, for names written without
    spaces (Chinese), a character. "Ann" / "Ann Lee" overlap; "Alex Good" / "Zed Shared"
    do not."""
    return bool(_parts(a) & _parts(b))


def different_holders(names: Iterable[str | None]) -> bool:
    """Whether some two of ``names`` share no name part (:func:`names_overlap`): clearly
    different people. The accounts import warns by line when a phone it links already
    serves such another holder (US-12, UK-06, CN-02)."""
    seen = list(names)
    return any(not names_overlap(a, b) for i, a in enumerate(seen) for b in seen[i + 1:])


def one_holder(names: Iterable[str | None]) -> bool:
    """Whether ``names`` are all one spelling of one name (:func:`same_name`) — the only
    case in which the dialog treats a phone's accounts as one person's (US-12, UK-06).

    Stricter than :func:`different_holders` on purpose: "Pat Lee" and "Sam Lee" on a
    family phone share a part but are two people, and "Alex Good" / "Alexandra Good" may
    be one person or two; either way the bot cannot tell, so it lists and tells neither
    and a person sorts it out (:func:`bot.dialogs.engine._shared_phone`)."""
    seen = list(names)
    return all(same_name(seen[0], n) for n in seen[1:]) if seen else True
