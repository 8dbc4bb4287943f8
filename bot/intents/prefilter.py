"""A regex with a substring pre-check, for speed.

Python's ``re`` tries every alternative of a big alternation at every position. Most
replies contain none of an intent's words, so :class:`Rule` first compares the text's
word starts (first two characters of each word, one set per message) with the
prefixes every match of the rule must begin with, derived from the parsed pattern.
When they are disjoint the regex cannot match and is skipped. When a prefix set cannot
be proved for some alternative, the rule always runs the regex (never a wrong skip).
"""

from __future__ import annotations

import re

try:  # Python ≥ 3.11
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]


def _needles(seq) -> frozenset[str] | None:
    """Substrings one of which every match of the parsed sequence ``seq`` contains."""
    best: frozenset[str] | None = None

    def offer(cand: frozenset[str] | None) -> None:
        nonlocal best
        if not cand:
            return
        if best is None or min(map(len, cand)) > min(map(len, best)):
            best = cand

    run: list[str] = []
    for op, av in list(seq) + [(None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            offer(frozenset({"".join(run)}))
            run = []
        if op is _c.SUBPATTERN:
            offer(_needles(av[-1]))
        elif op is _c.BRANCH:
            sets = [_needles(branch) for branch in av[1]]
            if all(sets):
                offer(frozenset().union(*sets))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            offer(_needles(av[2]))
    return best


def needles_of(pattern: str) -> frozenset[str] | None:
    """Needles of a regex source string, or None when none can be proved."""
    try:
        return _needles(_p.parse(pattern))
    except Exception:  # noqa: BLE001 - any surprise means "always run the regex"
        return None


_ANCHORS = (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING)


def _p2(items: list, acc: str, anchored: bool, depth: int = 0) -> frozenset[str] | None:
    """Possible first two characters of a match of ``items`` (given ``acc`` already
    matched), provided the match starts at a word start; None when that is not certain."""
    if len(acc) >= 2:
        return frozenset({acc[:2]}) if (acc[0].isalnum() or acc[0] == "_") else None
    if not items or depth > 24:
        return None
    op, av = items[0]
    rest = items[1:]
    if op is _c.LITERAL:
        if not acc and not anchored:
            return None
        return _p2(rest, acc + chr(av), anchored, depth)
    if op is _c.AT:
        return _p2(rest, acc, anchored or (not acc and av in _ANCHORS), depth)
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return _p2(rest, acc, anchored, depth)
    if op is _c.SUBPATTERN:
        return _p2(list(av[-1]) + rest, acc, anchored, depth + 1)
    if op is _c.BRANCH:
        options = [list(br) + rest for br in av[1]]
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
        got = _p2(opt, acc, anchored, depth + 1)
        if got is None:
            return None
        out |= got
    return frozenset(out)


def _starts(seq) -> frozenset[str] | None:
    """The possible first two characters of any match of ``seq``, when every match
    starts at the start of a word (``\\b`` or ``^`` before a word character); else None."""
    return _p2(list(seq), "", False)


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


#: Word starts of a text: a word character at a word boundary plus the next character.
WORD_STARTS = re.compile(r"\b\w.", re.S)


def word_starts(text: str) -> frozenset[str]:
    """The set :class:`Rule` compares against (compute once per message)."""
    return frozenset(WORD_STARTS.findall(text))


class Rule:
    """A compiled alternation of ``patterns`` with cheap pre-checks.

    Alternatives whose matches must begin at a word start are gated by their possible
    first two characters against the text's word starts (:func:`word_starts`); other
    alternatives with a bounded set of first characters (e.g. Chinese substrings) are
    gated by those characters against the text's character set. Both checks are set
    operations in C. Alternatives with neither always run. ``bool(search(...))`` is
    exactly ``bool(self.regex.search(text))``.
    """

    __slots__ = ("regex", "prefixes", "gated", "chars", "by_char", "free")

    def __init__(self, patterns) -> None:
        if isinstance(patterns, str):
            patterns = (patterns,)
        if not patterns:
            raise ValueError("a Rule needs at least one pattern")
        self.regex = re.compile("|".join(f"(?:{p})" for p in patterns))
        gated, by_char, free = [], [], []
        prefixes: set[str] = set()
        chars: set[str] = set()
        for p in patterns:
            st = starts_of(p)
            if st:
                gated.append(p)
                prefixes |= st
                continue
            fc = firsts_of(p)
            if fc:
                by_char.append(p)
                chars |= fc
            else:
                free.append(p)
        self.prefixes = frozenset(prefixes)
        self.chars = frozenset(chars)
        join = lambda ps: re.compile("|".join(f"(?:{p})" for p in ps)) if ps else None  # noqa: E731
        self.gated, self.by_char, self.free = join(gated), join(by_char), join(free)

    def search(self, text: str, starts: frozenset[str] | None = None, chars: frozenset[str] | None = None):
        """A ``re.Match`` when some alternative matches ``text``, else None. ``starts`` is
        :func:`word_starts` of ``text``, ``chars`` is ``frozenset(text)``; None skips that
        pre-check."""
        m = None
        if self.gated is not None and (starts is None or not self.prefixes.isdisjoint(starts)):
            m = self.gated.search(text)
        if m is None and self.by_char is not None and (chars is None or not self.chars.isdisjoint(chars)):
            m = self.by_char.search(text)
        if m is None and self.free is not None:
            m = self.free.search(text)
        return m

    def match(self, text: str):
        """``self.regex.match`` (no pre-check)."""
        return self.regex.match(text)

    def sub(self, repl, text: str) -> str:
        """``self.regex.sub`` (no pre-check)."""
        return self.regex.sub(repl, text)
