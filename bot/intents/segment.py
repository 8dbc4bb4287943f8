"""Chinese word segmentation (jieba), loaded lazily and once.

Most Chinese rules are exact substrings (``请帮我退订`` holds 退订) and never need this.
Segmentation decides the cases where a substring is ambiguous: 还 is "repay" as a word
but "still/also" inside 还有/还是/还要 (``明天还有事`` is not a promise). Pure: no I/O
after the one-time dictionary load, no logging of message bodies.
"""

from __future__ import annotations

import logging

_jieba = None


def _load():
    global _jieba
    if _jieba is None:
        import jieba  # lazy: ~1 s to build its prefix dictionary, once per process

        jieba.setLogLevel(logging.WARNING)  # silence its "Building prefix dict" chatter
        jieba.initialize()
        _jieba = jieba
    return _jieba


def zh_words(text: str) -> list[str]:
    """Words of a (normalised) Chinese or mixed text, e.g. ``zh_words("明天还有事")`` →
    ``["明天", "还有", "事"]``; spaces and punctuation are dropped."""
    return [w for w in _load().lcut(text, HMM=True) if w.strip() and w not in ",.!?~:;"]
