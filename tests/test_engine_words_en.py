"""UK-07 English engine words (bot.dialogs.engine ``_SELF_HARM`` / ``_VULNERABLE``): the
third probe's misses and their neighbours, with the false alarms they must not raise.
Self-harm → priority-1 escalation; vulnerability → hold and priority-2 hand-off."""

import pytest

from bot.dialogs.engine import _SELF_HARM, _VULNERABLE

SELF_HARM = [
    "I might as well just end it",
    "might as well end things",
    "I'm thinking about ending things",
    "been thinking of ending it",
    "I'm gonna end everything",
    "im so done with life",
    "I'm done with living",
    "I'm tired of living",
    "so sick of life.",
    "I'm giving up on life",
    "I don't want to wake up anymore",
    "I'm going to end it tonight",
]
VULNERABLE_ONLY = [  # possible ideation: a person reads it (priority 2)
    "I don't see a way out of this.",
    "I can't see any way out",
    "I want to disappear",
    "I just want to disappear",
]
NEITHER = [
    "end it with a final payment",
    "I might as well just end it with one payment",
    "I want to end things with your company",
    "thinking about ending it by paying in full",
    "I'm done with this debt",
    "done with these texts",
    "tired of living paycheck to paycheck",
    "I want to disappear from your list",
    "there's no way out of this contract",
    "I want to end it, how much to settle",
]


@pytest.mark.parametrize("text", SELF_HARM)
def test_uk07_self_harm_words(text):
    assert _SELF_HARM.search(text), text
    assert _VULNERABLE.search(text), text


@pytest.mark.parametrize("text", VULNERABLE_ONLY)
def test_uk07_possible_ideation_is_vulnerability(text):
    assert _VULNERABLE.search(text), text
    assert not _SELF_HARM.search(text), text


@pytest.mark.parametrize("text", NEITHER)
def test_uk07_no_false_alarm(text):
    assert not _SELF_HARM.search(text), text
    assert not _VULNERABLE.search(text), text
