"""A regex with cheap pre-checks, for speed (the classifier runs ~30 rules per reply).

Python's ``re`` tries every alternative of a big alternation at every position. Most
replies contain none of an intent's words, so :class:`Rule` groups its alternatives by
the first three (or two) characters every match must begin with, derived from the
parsed pattern, and runs only the groups whose prefix is among the text's word starts
(one set per message, :func:`word_starts`). Alternatives that need not start at a word
start (Chinese substrings) are gated by their possible first characters instead. When
no prefix can be proved, the alternative always runs: a pre-check never changes a result
(``tests/test_intents_classify.py`` checks this on every corpus text).

Uses the stdlib regex parser (``re._parser``), a private module; any surprise while
deriving prefixes falls back to "always run".
"""

from __future__ import annotations

import operator
import re

try:  # Python ≥ 3.11
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]


_ANCHORS = (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING)


def _p2(items: list, acc: str, anchored: bool, depth: int = 0, k: int = 2) -> frozenset[str] | None:
    """Possible first ``k`` characters of a match of ``items`` (given ``acc`` already
    matched), provided the match starts at a word start; None when that is not certain."""
    if len(acc) >= k:
        return frozenset({acc[:k]}) if (acc[0].isalnum() or acc[0] == "_") else None
    if not items or depth > 24:
        return None
    op, av = items[0]
    rest = items[1:]
    if op is _c.LITERAL:
        if not acc and not anchored:
            return None
        return _p2(rest, acc + chr(av), anchored, depth, k)
    if op is _c.AT:
        return _p2(rest, acc, anchored or (not acc and av in _ANCHORS), depth, k)
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return _p2(rest, acc, anchored, depth, k)
    if op is _c.SUBPATTERN:
        return _p2(list(av[-1]) + rest, acc, anchored, depth + 1, k)
    if op is _c.BRANCH:
        options = [list(br) + rest for br in av[1]]
    elif op is _c.IN and all(o is _c.LITERAL for o, _ in av):  # [abc]: a set of literals
        options = [[(_c.LITERAL, ch)] + rest for _, ch in av]
    elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        lo, hi, content = av
        options = []
        if lo == 0:
            options.append(rest)
        if hi == _c.MAXREPEAT or hi > 1:
            again = (op, (max(lo - 1, 0), hi if hi == _c.MAXREPEAT else hi - 1, content))
            options.append(list(content) + [again] + rest)
        elif hi == 1:
            options.append(list(content) + rest)
    else:
        return None
    out: set[str] = set()
    for opt in options:
        got = _p2(opt, acc, anchored, depth + 1, k)
        if got is None:
            return None
        out |= got
    return frozenset(out)


def _starts(seq) -> frozenset[str] | None:
    """The possible first three (else two) characters of any match of ``seq``, when every
    match starts at the start of a word (``\\b`` or ``^`` before a word character); else None."""
    items = list(seq)
    return _p2(items, "", False, 0, 3) or _p2(items, "", False, 0, 2)


def _p1(items: list, depth: int = 0) -> frozenset[str] | None:
    """Possible first characters of a match of ``items``; None when unbounded."""
    if not items or depth > 24:
        return None
    op, av = items[0]
    rest = items[1:]
    if op is _c.LITERAL:
        return frozenset({chr(av)})
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _p1(rest, depth)
    if op is _c.SUBPATTERN:
        return _p1(list(av[-1]) + rest, depth + 1)
    if op is _c.BRANCH:
        options = [list(br) + rest for br in av[1]]
    elif op is _c.IN and all(o is _c.LITERAL for o, _ in av):
        return frozenset(chr(ch) for _, ch in av)
    elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        lo, hi, content = av
        options = [list(content) + rest] if hi != 0 else []
        if lo == 0:
            options.append(rest)
    else:
        return None
    out: set[str] = set()
    for opt in options:
        got = _p1(opt, depth + 1)
        if got is None:
            return None
        out |= got
    return frozenset(out)


def firsts_of(pattern: str) -> frozenset[str] | None:
    """Possible first characters of any match of a regex source, or None."""
    try:
        return _p1(list(_p.parse(pattern)))
    except Exception:  # noqa: BLE001
        return None


def starts_of(pattern: str) -> frozenset[str] | None:
    """Word-start prefixes of a regex source (see :func:`_starts`), or None."""
    try:
        return _starts(_p.parse(pattern))
    except Exception:  # noqa: BLE001 - any surprise means "always run the regex"
        return None


#: Word starts of a text: a word character at a word boundary plus the next one or two characters.
_STARTS3 = re.compile(r"\b(?=(\w..))", re.S)
_FIRST2 = operator.itemgetter(slice(0, 2))


def word_starts(text: str) -> frozenset[str]:
    """The set :class:`Rule` compares against (compute once per message): the first two
    and the first three characters at every word start. Two padding spaces give a word
    at the very end its three characters (a superset is always safe: it can only make a
    rule run, never skip)."""
    three = _STARTS3.findall(text + "  ")
    return frozenset(three).union(map(_FIRST2, three))


class Rule:
    """A compiled alternation of ``patterns`` with cheap pre-checks.

    Alternatives whose matches must begin at a word start are grouped by their possible
    first three (or two) characters; ``search`` runs only the groups whose prefix is
    among the text's word starts (:func:`word_starts`), and only at the positions where
    that prefix occurs (``regex.match(text, pos)``, not a scan of every position); other
    alternatives with a bounded set of first characters (e.g. Chinese substrings) are
    gated by those characters against the text's character set. Both checks are set
    operations in C. Alternatives with neither always run. ``bool(search(...))`` is
    exactly ``bool(self.regex.search(text))``.
    """

    __slots__ = ("regex", "prefixes", "by_prefix", "chars", "by_char", "free")

    def __init__(self, patterns) -> None:
        if isinstance(patterns, str):
            patterns = (patterns,)
        if not patterns:
            raise ValueError("a Rule needs at least one pattern")
        self.regex = re.compile("|".join(f"(?:{p})" for p in patterns))
        by_char, free = [], []
        by_prefix: dict[str, list[str]] = {}
        chars: set[str] = set()
        for p in patterns:
            st = starts_of(p)
            if st:
                for prefix in st:
                    by_prefix.setdefault(prefix, []).append(p)
                continue
            fc = firsts_of(p)
            if fc:
                by_char.append(p)
                chars |= fc
            else:
                free.append(p)
        join = lambda ps: re.compile("|".join(f"(?:{p})" for p in ps)) if ps else None  # noqa: E731
        #: word-start prefix → the alternatives whose matches begin with it
        self.by_prefix = {prefix: join(ps) for prefix, ps in by_prefix.items()}
        self.prefixes = frozenset(self.by_prefix)
        self.chars = frozenset(chars)
        self.by_char, self.free = join(by_char), join(free)

    def search(self, text: str, starts: frozenset[str] | None = None, chars: frozenset[str] | None = None):
        """A ``re.Match`` when some alternative matches ``text``, else None. ``starts`` is
        :func:`word_starts` of ``text``, ``chars`` is ``frozenset(text)``; None skips that
        pre-check."""
        prefixes = self.prefixes
        if prefixes and (starts is None or not prefixes.isdisjoint(starts)):  # else: the common case
            for prefix in prefixes if starts is None else prefixes.intersection(starts):
                # A match of this group begins with ``prefix``: try the regex only where
                # the prefix occurs (``match`` at ``pos`` still sees the text before it, for
                # ``\b`` and lookbehinds; ``^`` only at 0), not at every position of the text.
                rx = self.by_prefix[prefix]
                pos = text.find(prefix)
                while pos >= 0:
                    m = rx.match(text, pos)
                    if m is not None:
                        return m
                    pos = text.find(prefix, pos + 1)
        if self.by_char is not None and (chars is None or not self.chars.isdisjoint(chars)):
            m = self.by_char.search(text)
            if m is not None:
                return m
        if self.free is not None:
            return self.free.search(text)
        return None

    def match(self, text: str):
        """``self.regex.match`` (no pre-check)."""
        return self.regex.match(text)

    def sub(self, repl, text: str) -> str:
        """``self.regex.sub`` (no pre-check)."""
        return self.regex.sub(repl, text)
