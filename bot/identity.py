"""Right-party confirmation (UK-06, CONC 7.9.10R): which parts of a reply to test.

The stored answer is hashed (never kept or echoed in clear), so the runner cannot look
for it inside a sentence; instead it tests each plausible fragment of the reply —
"my postcode is SW1A 1AA" holds "SW1A 1AA", "born 1988" holds "1988" — against the
hash. Pure: no I/O.

One answer, one guess (UK-06: confirm "by suitable means" that they are the borrower).
Testing every fragment would make a reply that *lists* guesses — "E1 6AN M1 1AE B1 1BB
LS1 1UR …" — several guesses for the price of one try, so ``dialog.identity_tries``
would stop no one. A reply holding more than one *distinct* answer of the shape the
profile asks for (:data:`SHAPES`: postcodes for ``postal_code``, four-digit years for
``birth_year``, four-digit runs for ``last4``) is therefore no answer at all:
:func:`candidates` yields nothing to test and the reply counts as one failed try. The
same answer written twice ("SW1A 1AA, yes SW1A1AA") is one answer. This was chosen over
counting each fragment as a try because a plain sentence ("my postcode is SW1A 1AA")
has many fragments but only one answer: it must stay one try.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\uffff]+")
_DIGITS = re.compile(r"\d+")

#: At most this many fragments are tested (each test is a deliberately slow hash).
MAX_CANDIDATES = 24

#: The shape of an answer to each identity question (``[profiles.*] identity_question``),
#: matched in full against a fragment's comparable form (NFKC, casefolded, letters and
#: digits only, as the stored hash has it): a UK postcode, a US ZIP (5 or 9 digits) or a
#: six-digit Chinese postal code; a year of birth; the last four digits of something.
SHAPES: dict[str, re.Pattern[str]] = {
    "postal_code": re.compile(r"[a-z]{1,2}\d[a-z\d]?\d[a-z]{2}|\d{5}(?:\d{4})?|\d{6}"),
    "birth_year": re.compile(r"(?:19|20)\d{2}"),
    "last4": re.compile(r"\d{4}"),
}


def _comparable(fragment: str) -> str:
    v = unicodedata.normalize("NFKC", fragment).casefold()
    return "".join(ch for ch in v if ch.isalnum())


def _fragments(text: str, max_tokens: int) -> list[str]:
    """The whole text, every run of up to ``max_tokens`` words, every digit run (all of
    them, in order, with repeats)."""
    tokens = _TOKEN.findall(text or "")
    out: list[str] = [text.strip()] if text and text.strip() else []
    for n in range(min(max_tokens, len(tokens)), 0, -1):
        for i in range(len(tokens) - n + 1):
            out.append(" ".join(tokens[i:i + n]))
    out.extend(_DIGITS.findall(text or ""))
    return out


def answers(text: str, question: str | None, max_tokens: int = 3) -> set[str]:
    """The distinct answers of ``question``'s shape (:data:`SHAPES`) among the fragments
    :func:`candidates` would test (every one, not only the first
    :data:`MAX_CANDIDATES`), in comparable form; empty for a question of no known shape.
    Overlapping readings of one answer count once: a ZIP that begins a ZIP+4 of the same
    reply ("90210-1234"), and a postcode read with the one-letter word before it
    ("my postcode's N1 9GU" also reads "s N1 9GU" as ``sn19gu``; the shorter stays)."""
    shape = SHAPES.get(question or "")
    if shape is None:
        return set()
    found = {c for c in map(_comparable, _fragments(text, max_tokens)) if shape.fullmatch(c)}
    return {a for a in found
            if not any(b != a and (a.endswith(b) or (a.isdigit() and b.isdigit() and b.startswith(a)))
                       for b in found)}


def several_answers(text: str, question: str | None) -> bool:
    """UK-06: ``text`` holds more than one distinct answer of the asked shape (a list
    of guesses): it confirms nothing and counts as one failed try."""
    return len(answers(text, question)) > 1


def candidates(text: str, max_tokens: int = 3, question: str | None = None) -> list[str]:
    """Fragments of ``text`` worth testing against a stored identity hash: the whole
    text, every run of up to ``max_tokens`` consecutive words, and every digit run;
    longest first, duplicates removed, at most :data:`MAX_CANDIDATES`.

    ``question``: the profile's identity question. A reply with several distinct answers
    of its shape (:func:`several_answers`) yields ``[]`` — nothing to test, a failed try
    (UK-06: one answer is one guess)."""
    if len(answers(text, question, max_tokens)) > 1:
        return []
    out = _fragments(text, max_tokens)
    seen: set[str] = set()
    result = []
    for c in out:
        key = c.casefold().replace(" ", "")
        if key and key not in seen:
            seen.add(key)
            result.append(c)
    return result[:MAX_CANDIDATES]
