"""Right-party confirmation (UK-06, CONC 7.9.10R): which parts of a reply to test.

The stored answer is hashed (never kept or echoed in clear), so the runner cannot look
for it inside a sentence; instead it tests each plausible fragment of the reply —
"my postcode is SW1A 1AA" holds "SW1A 1AA", "born 1988" holds "1988" — against the
hash. Pure: no I/O.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\uffff]+")
_DIGITS = re.compile(r"\d+")

#: At most this many fragments are tested (each test is a deliberately slow hash).
MAX_CANDIDATES = 24


def candidates(text: str, max_tokens: int = 3) -> list[str]:
    """Fragments of ``text`` worth testing against a stored identity hash: the whole
    text, every run of up to ``max_tokens`` consecutive words, and every digit run;
    longest first, duplicates removed, at most :data:`MAX_CANDIDATES`."""
    tokens = _TOKEN.findall(text or "")
    out: list[str] = [text.strip()] if text and text.strip() else []
    for n in range(min(max_tokens, len(tokens)), 0, -1):
        for i in range(len(tokens) - n + 1):
            out.append(" ".join(tokens[i:i + n]))
    out.extend(_DIGITS.findall(text or ""))
    seen: set[str] = set()
    result = []
    for c in out:
        key = c.casefold().replace(" ", "")
        if key and key not in seen:
            seen.add(key)
            result.append(c)
    return result[:MAX_CANDIDATES]
