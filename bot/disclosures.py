"""Disclosures a message must carry because of who sends it (pure).

US-14 (FDCPA §807(11), 15 USC 1692e(11); 12 CFR 1006.18(e)): a third-party debt collector
says in the initial communication that it is a debt collector attempting to collect a
debt and that any information obtained will be used for that purpose, and in every later
communication that it is from a debt collector. First-party creditors do not.
"""

from __future__ import annotations

from typing import Any, Mapping

#: The later-communication disclosure (§807(11)), per language. The English sentence is
#: kept in Chinese texts too: the linter and US examiners read it in English.
LATER: Mapping[str, str] = {
    "en": "This is a communication from a debt collector.",
    "zh": "这是一条来自债务催收机构的信息。This is a communication from a debt collector.",
}

#: Kinds that carry no collection content and need no disclosure (the opt-out
#: confirmation must stay a bare confirmation, US-08).
EXEMPT_KINDS: frozenset[str] = frozenset({"optout_confirmation", "optin_confirmation"})


def needs_disclosure(profile: Mapping[str, Any] | None) -> bool:
    """``True`` when the jurisdiction profile's regime is a third-party collector."""
    return bool(profile) and str(profile.get("regime", "")) == "third_party"


def with_disclosure(text: str, profile: Mapping[str, Any] | None, lang: str, kind: str) -> str:
    """``text`` with the debt-collector disclosure appended when the profile needs it
    (US-14) and the text does not carry it already; otherwise ``text`` unchanged."""
    if not needs_disclosure(profile) or kind in EXEMPT_KINDS:
        return text
    if "debt collector" in text.lower():
        return text
    sentence = LATER.get(lang, LATER["en"])
    return f"{text.rstrip()} {sentence}"
