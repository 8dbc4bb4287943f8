"""Typo tolerance, word by word (never a fuzzy score over the whole text).

A token is corrected to a keyword only when all hold:
- it is not itself a known word: not in our lexicon vocabulary and its English
  ``wordfreq`` Zipf frequency is below :data:`REAL_WORD_ZIPF` (``play``, ``plant``,
  ``shop``, ``step``, ``top``, ``nope`` are real words, never typos);
- its edit distance (optimal string alignment: a transposition costs 1) to the keyword
  is within the keyword's budget: 0 for keywords of ≤3 letters, a *transposition only*
  for 4 letters (``stpo``→stop, ``plna``→plan), 1 for 5–6 letters, 2 for 7+ letters
  (``pyament``→payment).

Chinese: a small table of homophone/IME typos (``花被``→``花呗``) in ``lexicon_zh.TYPOS``.
``wordfreq`` is loaded lazily, once, and only asked about tokens already close to a keyword.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import lexicon_zh

#: A token at or above this Zipf frequency in English is a real word, not a typo.
REAL_WORD_ZIPF = 3.0

#: Keywords a typo may be corrected to (canonical spelling used by the lexicons).
KEYWORDS: tuple[str, ...] = (
    "stop", "unsubscribe", "cancel", "quit", "revoke", "remove", "texting", "contact", "contacting",
    "calling", "harassing", "messages", "pay", "payment", "payments", "paying", "plan", "installment",
    "installments", "arrangement", "balance", "owe", "lawyer", "attorney", "bankruptcy", "bankrupt",
    "dispute", "fraud", "human", "person", "representative", "supervisor", "manager", "operator",
    "agent", "number", "wrong", "help", "hospital", "disability", "unemployed", "already", "paid",
    "tomorrow", "friday", "monday", "tuesday", "wednesday", "thursday", "saturday", "sunday",
    "hardship", "settlement", "minimum", "unstop", "start", "afford", "customer", "service", "debt",
    "account", "unemployed", "hospital", "representative",
)
_KW_SET = frozenset(KEYWORDS)
_KW_BY_LEN: dict[int, tuple[str, ...]] = {
    n: tuple(k for k in KEYWORDS if abs(len(k) - n) <= 2) for n in range(4, 40)}
_WORD = re.compile(r"[a-z]{4,}")
#: Common English words (top of wordfreq's list): never typos, skipped without any scoring.
COMMON_WORDS_N = 25000
_zipf = None
_common: frozenset[str] | None = None


def _common_words() -> frozenset[str]:
    global _common
    if _common is None:  # lazy, one-time
        from wordfreq import top_n_list
        _common = frozenset(w for w in top_n_list("en", COMMON_WORDS_N) if w.isascii())
    return _common


def _zipf_frequency(word: str) -> float:
    global _zipf
    if _zipf is None:  # lazy, one-time import (wordfreq loads its word list on first use)
        from wordfreq import zipf_frequency
        _zipf = zipf_frequency
    return _zipf(word, "en")


def _budget(keyword: str) -> int:
    n = len(keyword)
    if n <= 3:
        return 0
    if n == 4:
        return 1  # and only as a transposition, checked below
    if n <= 6:
        return 1
    return 2


def correct_word(token: str, known: frozenset[str] = frozenset()) -> str:
    """Return the keyword ``token`` is a typo of, or ``token`` unchanged.

    Args:
        token: one lower-case ASCII word.
        known: extra vocabulary that is never corrected (the lexicons' own words).
    Returns:
        a keyword from :data:`KEYWORDS` or ``token``. ``correct_word("pyament")`` →
        ``"payment"``; ``correct_word("stpo")`` → ``"stop"``; ``correct_word("plant")`` →
        ``"plant"``; ``correct_word("plna")`` → ``"plan"``.
    """
    if len(token) < 4 or token in _KW_SET or token in known or token in _common_words():
        return token
    hit = process.extractOne(token, _KW_BY_LEN.get(len(token), KEYWORDS), scorer=OSA.distance, score_cutoff=2)
    if hit is None:
        return token
    keyword, dist, _ = hit
    if dist == 0 or dist > _budget(keyword):
        return token
    if len(keyword) == 4 and not (len(token) == 4 and sorted(token) == sorted(keyword)):
        return token  # 4-letter keywords: a swap of two letters only
    if _zipf_frequency(token) >= REAL_WORD_ZIPF:
        return token  # a real word is never a typo
    return keyword


def near_miss(token: str, keyword: str) -> bool:
    """True when ``token`` is one edit (OSA) from ``keyword``, is not ``keyword`` and is not
    a real word (Zipf < :data:`REAL_WORD_ZIPF`): ``near_miss("stoo", "stop")`` is True,
    ``near_miss("shop", "stop")`` is False. Used only to flag a *possible* opt-out."""
    if token == keyword or not token.isalpha() or OSA.distance(token, keyword) != 1:
        return False
    return _zipf_frequency(token) < REAL_WORD_ZIPF


def correct_text(text: str, known: frozenset[str] = frozenset()) -> str:
    """Correct every ASCII word of 4+ letters in ``text`` with :func:`correct_word`.

    Args:
        text: normalised text (lower case).
        known: vocabulary never corrected.
    Returns:
        the text with typos replaced; everything else (spacing, punctuation, CJK) unchanged.
    """
    words = _WORD.findall(text)
    if not words:
        return text
    unknown = set(words).difference(_KW_SET, known, _common_words())
    if not unknown:  # the common case: every word is a keyword, known or common English
        return text
    return _WORD.sub(lambda m: correct_word(m.group(0), known) if m.group(0) in unknown else m.group(0), text)


def correct_zh(text: str) -> str:
    """Replace known Chinese typos (``花被``→``花呗``) using ``lexicon_zh.TYPOS``."""
    for wrong, right in lexicon_zh.TYPOS.items():
        if wrong in text:
            text = text.replace(wrong, right)
    return text
