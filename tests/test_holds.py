"""Holds people place and clear, at the pure core (bot/holds.py): the one kind → rule
table (US-16, US-17, US-18, UK-07), who may clear a silencing hold, the note."""

from __future__ import annotations

import pytest

from bot.dialogs.engine import HOLD_RULES
from bot.gate import SILENCING_HOLDS, Candidate, GateContext, decide
from bot.holds import AGENT_HOLD_KINDS, MAX_HOLD_NOTE, clean_note, may_clear
from bot.types import hold_rule


def test_one_kind_to_rule_table_for_sms_console_and_api():
    assert {k: hold_rule(k) for k in AGENT_HOLD_KINDS} == {
        "dispute": "US-16", "cease": "US-17", "attorney": "US-18", "bankruptcy": "G-01",
        "vulnerability": "UK-07", "deceased": "UK-07"}
    assert hold_rule("recalled") == "hold:recalled"
    # the table is the dialog engine's (a hold a customer's text sets cites the same rule)
    assert all(hold_rule(k) == HOLD_RULES[k] for k in AGENT_HOLD_KINDS)
    from duly.api import API_HOLD_KINDS

    assert API_HOLD_KINDS == {"bankruptcy": "G-01", "deceased": "UK-07", "dispute": "US-16", "cease": "US-17",
                              "recalled": "hold:recalled", "attorney": "US-18"}


@pytest.mark.parametrize("kind", sorted(SILENCING_HOLDS))
def test_only_an_admin_clears_a_silencing_hold(kind):
    # US-17 cease, US-18 attorney, bankruptcy, deceased, recalled: clearing one lets texts reach
    # someone protected from them
    assert may_clear(kind, "admin") is True
    assert may_clear(kind, "agent") is False


@pytest.mark.parametrize("kind", ["dispute", "vulnerability", "optout_review", "paid_already"])
def test_any_agent_clears_a_pausing_hold(kind):   # US-16 / UK-07 / US-06
    assert may_clear(kind, "agent") is True
    assert may_clear(kind, "admin") is True
    assert may_clear(kind, "viewer") is False


def test_note_is_required_trimmed_and_bounded():
    assert clean_note("  letter from Smith & Co, attorneys  ", required=True) == "letter from Smith & Co, attorneys"
    assert clean_note(None, required=False) is None
    assert clean_note("   ", required=False) is None
    with pytest.raises(ValueError, match="write a note"):
        clean_note("   ", required=True)
    with pytest.raises(ValueError, match="write a note"):
        clean_note("", required=True)
    with pytest.raises(ValueError, match="must be text"):
        clean_note(None, required=True)
    with pytest.raises(ValueError, match="must be text"):
        clean_note(42, required=False)
    with pytest.raises(ValueError, match=f"longer than {MAX_HOLD_NOTE}"):
        clean_note("x" * (MAX_HOLD_NOTE + 1), required=True)
    assert clean_note("x" * MAX_HOLD_NOTE, required=True) == "x" * MAX_HOLD_NOTE


def test_US_17_a_cease_hold_refuses_the_agent_and_a_waiting_cadence_text():
    """What the console's hold relies on: the one gate refuses an agent's own text (even
    as a reply) and a cadence step under a cease; a dispute pauses only what Duly starts."""
    cease = GateContext(holds=("cease",))
    agent = decide(Candidate("agent", sender="agent", in_reply_to_inbound=True), cease)
    assert (agent.action, agent.rule) == ("refuse", "US-17")
    step = decide(Candidate("campaign", sender="system", in_reply_to_inbound=False), cease)
    assert (step.action, step.rule) == ("refuse", "US-17")
    dispute = GateContext(holds=("dispute",))
    assert decide(Candidate("campaign", sender="system", in_reply_to_inbound=False), dispute).rule == "US-16"
    assert decide(Candidate("agent", sender="agent", in_reply_to_inbound=True), dispute).action == "send"


def test_one_kind_to_rule_table_for_engine_gate_console_and_cadence():
    """The engine's holds, the gate's refusals under a silencing hold, the console/API
    holds and the cadence's held rows name a hold's rule from one table (three copies
    disagreed: the gate said ``hold:deceased`` where the engine wrote ``UK-07``)."""
    from bot.gate import SILENCING_HOLDS, silencing_rule
    from bot.types import HOLD_RULES
    from runner.campaign import HOLD_KIND_RULES

    assert HOLD_KIND_RULES is HOLD_RULES
    assert {k: silencing_rule(k) for k in SILENCING_HOLDS} == {
        k: HOLD_RULES.get(k, f"hold:{k}") for k in SILENCING_HOLDS}
    assert silencing_rule("deceased") == "UK-07" and silencing_rule("bankruptcy") == "G-01"
    assert silencing_rule("recalled") == "hold:recalled"
