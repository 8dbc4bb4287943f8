"""The outbound gate's rules at the pure core (bot/gate.py), named by rule ID."""

from bot.gate import Candidate, GateContext, decide


def test_US_05_opted_out_number_gets_no_reply():
    v = decide(Candidate("reply"), GateContext(opted_out_sms=True))
    assert (v.action, v.rule) == ("refuse", "US-05")


def test_US_05_opted_out_number_gets_no_agent_message():
    v = decide(Candidate("agent", sender="agent", in_reply_to_inbound=False), GateContext(opted_out_sms=True))
    assert (v.action, v.rule) == ("refuse", "US-05")


def test_US_08_one_confirmation_then_none():
    first = decide(Candidate("optout_confirmation"), GateContext(opted_out_sms=True))
    second = decide(Candidate("optout_confirmation"),
                    GateContext(opted_out_sms=True, optout_confirmations_since_optout=1))
    assert first.action == "send"
    assert (second.action, second.rule) == ("refuse", "US-08")


def test_US_05_help_still_answered_after_opt_out():
    assert decide(Candidate("help"), GateContext(opted_out_sms=True)).action == "send"
    # ... but never unprompted
    assert decide(Candidate("help", in_reply_to_inbound=False), GateContext(opted_out_sms=True)).action == "refuse"


def test_US_17_cease_hold_refuses_replies_and_agents():
    ctx = GateContext(holds=("cease",))
    assert decide(Candidate("reply"), ctx).rule == "US-17"
    assert decide(Candidate("agent", sender="agent"), ctx).action == "refuse"
    assert decide(Candidate("optout_confirmation"), ctx).action == "send"


def test_US_18_attorney_hold_refuses_collection_content():
    v = decide(Candidate("notice", in_reply_to_inbound=False), GateContext(holds=("attorney",)))
    assert (v.action, v.rule) == ("refuse", "US-18")


def test_US_16_dispute_hold_pauses_automated_notices_not_answers():
    ctx = GateContext(holds=("dispute",))
    assert decide(Candidate("notice", in_reply_to_inbound=False), ctx).rule == "US-16"
    assert decide(Candidate("reply"), ctx).action == "send"


def test_US_12_wrong_number_gets_no_agent_or_campaign_text():
    ctx = GateContext(quarantined=True)
    assert decide(Candidate("agent", sender="agent"), ctx).rule == "US-12"
    assert decide(Candidate("reminder", in_reply_to_inbound=False), ctx).rule == "US-12"


def test_G_01_bot_silent_while_agent_owns_conversation():
    ctx = GateContext(mode="agent")
    assert decide(Candidate("reply"), ctx).rule == "G-01"
    assert decide(Candidate("agent", sender="agent"), ctx).action == "send"
    assert decide(Candidate("optout_confirmation"), ctx).action == "send"
    assert decide(Candidate("handoff_notice"), ctx).action == "send"


def test_G_03_every_verdict_lists_the_rules_evaluated():
    v = decide(Candidate("reply"), GateContext())
    assert v.action == "send"
    assert [r for r, _ in v.checks][:4] == ["US-05", "holds", "US-12", "G-01"]
    assert [r for r, _ in v.checks] == ["US-05", "holds", "US-12", "G-01", "gate:undeliverable",
                                        "US-10", "content", "US-01", "caps"]
    # a reply: the refusal rules pass, the initiated-only rules are exempt or not configured
    assert all(outcome.split(":")[0] in ("pass", "exempt", "n/a") for _, outcome in v.checks)


def test_UK_06_identity_candidates_find_the_answer_inside_a_sentence():
    from bot.identity import candidates
    c = candidates("my postcode is SW1A 1AA")
    assert "SW1A 1AA" in c and "my postcode is SW1A 1AA" == c[0]
    assert "1988" in candidates("born 3/4/1988")
    assert len(candidates("word " * 100)) <= 24


def test_deceased_and_recalled_holds_silence_everything_but_compliance_answers():
    # the rule is the one kind → rule table's (bot.types.HOLD_RULES): deceased is UK-07;
    # recalled has no COMPLIANCE row
    for kind, rule in (("deceased", "UK-07"), ("recalled", "hold:recalled")):
        ctx = GateContext(holds=(kind,))
        v = decide(Candidate("reply"), ctx)
        assert (v.action, v.rule) == ("refuse", rule)
        assert decide(Candidate("optout_confirmation"), ctx).action == "send"
