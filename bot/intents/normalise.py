"""Text normalisation for customer replies (the first step of ``interpret``).

Pure string functions: no I/O, no clock reads, no logging of bodies.
"""

from __future__ import annotations

import re
import unicodedata

# Carrier/handset tags some networks prepend, e.g. Korean "[Web발신]" or "[국제발신]".
_CARRIER_TAG = re.compile(r"\[(?:web발신|국제발신|국외발신|광고|web 발신)\]")

# Characters NFKC leaves alone but that mean ordinary punctuation.
_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u3002": ".", "\uff61": ".", "\u3001": ",", "\u2026": "...",
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u00a0": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\ufe0f": "", "\ufe0e": "",
})

# Emoji that carry a meaning we can read; every other emoji is dropped.
_EMOJI_WORDS = {
    "\U0001f44d": " ok ",      # 👍 thumbs up
    "\U0001f44c": " ok ",      # 👌
    "\u2705": " ok ",          # ✅
    "\u2714": " ok ",          # ✔
    "\U0001f197": " ok ",      # 🆗
    "\U0001f44e": " no ",      # 👎
    "\u274c": " no ",          # ❌
    "\U0001f6d1": " stop ",    # 🛑 stop sign
}

# Ranges of pictographs/emoji/dingbats/skin tones/variation selectors.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff"
    "\U0001f3fb-\U0001f3ff\u2b00-\u2bff\u2300-\u23ff\ufe00-\ufe0f\u20e3]"
)


def normalise(text: str) -> str:
    """Return ``text`` in the canonical form every intent rule reads.

    Steps: NFKC (full-width letters, digits and punctuation become ASCII), casefold,
    curly quotes → straight, CJK full stops/commas → ``.``/``,``, carrier tags such as
    ``[Web발신]`` removed, meaningful emoji mapped to words (👍 → ``ok``, 👎 → ``no``,
    🛑 → ``stop``) and all other emoji dropped, whitespace collapsed and trimmed.

    Args:
        text: the SMS body as received (any Unicode).
    Returns:
        the normalised string (possibly empty). Idempotent: ``normalise(normalise(t))
        == normalise(t)``.
    """
    if not text:
        return ""
    if text.isascii():  # fast path: NFKC and the translations change nothing but ` → '
        t = text.lower()
        if "`" in t:
            t = t.replace("`", "'")
        return " ".join(t.split())
    t = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLATE)
    if "[" in t:
        t = _CARRIER_TAG.sub(" ", t)
    if not t.isascii():
        for emo, word in _EMOJI_WORDS.items():
            if emo in t:
                t = t.replace(emo, word)
        t = _EMOJI.sub(" ", t)
    return " ".join(t.split())


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph."""
    return _CJK.search(text) is not None


def detect_lang(norm: str) -> str | None:
    """Language of a normalised text: ``"zh"`` when it has CJK ideographs, ``"en"``
    when it has a Latin word of two or more letters, else ``None`` (digits, emoji,
    a lone letter, or one of the keywords every notice asks for, such as STOP)."""
    if _CJK.search(norm):
        return "zh"
    if norm.strip(" .!?,;:") in _KEYWORDS_ANY_LANGUAGE:
        # the keywords every message tells customers to use (Chinese notices say
        # 回复“退订”(STOP)): they say nothing about the customer's language
        return None
    if _LATIN_WORD.search(norm):
        return "en"
    return None


#: Keywords customers are told to send whatever their language (US-04, US-26, US-27).
_KEYWORDS_ANY_LANGUAGE = frozenset({
    "stop", "stopall", "start", "unstop", "help", "info", "yes", "no", "ok", "okay",
    "pay", "plan", "td", "t", "n", "r", "y", "cancel", "end", "quit", "unsubscribe",
})
