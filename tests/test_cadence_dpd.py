"""US-21: a cadence text never states a days-past-due figure the account does not have.

The trial's bug: ``cadence_dpd30`` said "$160.00 on your account is 30 days past due" to
an account 35 days past due (and 您的账户已逾期15天 at 20): the number was written into
the templates. Now the templates use ``{{ dpd }}``, filled from the account when the text
is rendered (at queue time), and the gate refuses at dispatch a text whose stated figure
is no longer true (a step queued at 21:30 goes at 08:00 the next day, one day later);
such a cadence step is rendered again with the day's figure on the next pass.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot import dialogs, templates
from bot.dialogs.script import DEBT_PARAMS, KNOWN_PARAMS, sample_params
from bot.gate import Candidate, GateContext, decide
from bot.lint import stated_days_past_due

CADENCE_KEYS = sorted(k for k in dialogs.load_script(dialogs.default_script_text()).templates
                      if k.startswith("cadence_"))


# --- pure core -----------------------------------------------------------------------------

def test_stated_days_past_due_reads_english_and_chinese():
    assert stated_days_past_due("$160.00 on your account is 30 days past due.") == (30,)
    assert stated_days_past_due("Your account is 1 day past due") == (1,)
    assert stated_days_past_due("您的账户已逾期15天，逾期金额¥2,600.00") == (15,)
    assert stated_days_past_due("逾期金额¥2,600.00已逾期 20 天。") == (20,)
    assert stated_days_past_due("Your payment of $120.00 is now past due") == ()
    assert stated_days_past_due("Your account is more than 30 days past due") == ()
    assert stated_days_past_due("您的账户仍处于逾期状态") == ()


def test_US_21_gate_refuses_a_stated_dpd_the_account_does_not_have():
    stale = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True, stated_dpd=(35,))
    v = decide(stale, GateContext(consent=True, dpd=36))
    assert (v.action, v.rule) == ("refuse", "US-21")
    assert "35" in v.reason and "36" in v.reason
    assert decide(stale, GateContext(consent=True, dpd=35)).action == "send"
    assert decide(stale, GateContext(consent=True)).action == "send"   # unknown: nothing to compare
    # a reply is not a text Duly starts; the customer's own question is answered
    assert decide(Candidate("reply", stated_dpd=(35,)), GateContext(dpd=36)).action == "send"


def test_dpd_is_a_known_debt_placeholder_with_a_sample():
    assert "dpd" in KNOWN_PARAMS and "dpd" in DEBT_PARAMS     # UK-06: no DPD before right-party
    assert sample_params("en")["dpd"].isdigit() and sample_params("zh")["dpd"].isdigit()


@pytest.mark.parametrize("key", CADENCE_KEYS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_US_21_no_cadence_template_hard_codes_days_past_due(key, lang):
    script = dialogs.load_script(dialogs.default_script_text())
    for dpd in ("35", "20", "1"):
        text = templates.render(script, key, lang, {**sample_params(lang), "dpd": dpd})
        assert stated_days_past_due(text) in ((), (int(dpd),)), text


@pytest.mark.parametrize("key,lang,expect", [
    ("cadence_dpd30", "en", "$160.00 on your account is 35 days past due"),
    ("cadence_dpd15", "en", "Your account is 20 days past due"),
    ("cadence_dpd15", "zh", "您的账户已逾期20天"),
    ("cadence_dpd30", "zh", "已逾期35天"),
    ("cadence_dpd15_third_party", "en", "is 20 days past due"),
    ("cadence_dpd30_third_party", "zh", "已逾期35天"),
])
def test_cadence_texts_say_the_accounts_own_dpd(key, lang, expect):
    script = dialogs.load_script(dialogs.default_script_text())
    dpd = "35" if "30" in key else "20"
    text = templates.render(script, key, lang, {**sample_params(lang), "past_due": "$160.00", "dpd": dpd})
    assert expect in text, text


def test_default_script_validates_with_dpd_and_the_segments_stay_as_they_were():
    """The validator renders with a 3-digit sample DPD; no text costs a segment more than
    with the hard-coded figure (2026-12-07: en 2/2/3/2, zh 2/2/4/4)."""
    script_text = dialogs.default_script_text()
    assert dialogs.validate(script_text) == []
    before = {("cadence_dpd15", "en"): 2, ("cadence_dpd15", "zh"): 2, ("cadence_dpd30", "en"): 2,
              ("cadence_dpd30", "zh"): 2, ("cadence_dpd15_third_party", "en"): 3,
              ("cadence_dpd15_third_party", "zh"): 4, ("cadence_dpd30_third_party", "en"): 2,
              ("cadence_dpd30_third_party", "zh"): 4}
    now = {(r.key, r.lang): r.segments for r in dialogs.template_report(dialogs.load_script(script_text))
           if (r.key, r.lang) in before and r.variant is None}
    assert now == before


# --- the planner fills it ----------------------------------------------------------------------

@pytest.mark.parametrize("dpd,lang,profile,expect", [
    (35, "en", "us_first_party", "is 35 days past due"),
    (20, "zh", "cn", "您的账户已逾期20天"),
    (17, "en", "us_third_party", "is 17 days past due"),
])
def test_planner_renders_the_accounts_dpd(session_factory, dpd, lang, profile, expect):
    from runner.campaign import plan
    from tests.test_campaign import NOW, SETTINGS, add, body_of, seed

    seed(session_factory)
    with session_factory() as s, s.begin():
        add(s, "D1", dpd, lang=lang, profile=profile,
            tz="Asia/Shanghai" if profile == "cn" else "America/New_York")
    plan(session_factory, SETTINGS, NOW)
    body = body_of(session_factory, "D1")
    assert expect in body, body
    assert stated_days_past_due(body) == (dpd,)


# --- end to end: queued in the evening, sent the next morning with the next day's figure ------

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,currency,due_date,timezone,creditor,consent_source,consent_at
DPD-1,Sam Ortega,+1 555 555 0102,480.00,35,160.00,USD,2026-12-10,America/Chicago,Northwind Card Services,card application,2024-06-11T12:00:00Z
"""


def test_dpd_is_true_when_the_text_leaves_e2e(db_url):
    """`duly campaign run` at 21:30 Chicago on day 35 renders "35 days" and defers it to
    08:00 (US-01); at 09:00 the account is 36 days past due: the first worker pass refuses
    the stale text (US-21) and re-opens the step, the next pass sends "36 days"."""
    from storage.models import CadenceSend, Decision, Message
    from tests.live import Clock, Duly
    from tests.test_cycle_e2e import duly_cli

    evening = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.timezone.utc)          # Mon 21:30 Chicago
    with Duly(db_url, clock=Clock(evening)) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        r = duly_cli(db_url, "campaign", "run", "--now", evening.isoformat())
        assert r.returncode == 0 and "DPD-1" in r.stdout, r.stdout + r.stderr
        with d.services.sessions() as s:
            (first,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert first.status == "deferred"
            assert "is 35 days past due" in first.body and "30 days" not in first.body

        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")      # Tue 09:00
        assert w.returncode == 0, w.stderr
        assert "35 days past due" not in w.stdout, w.stdout
        with d.services.sessions() as s:
            m = s.get(Message, first.id)
            assert m.status == "refused"
            last = s.scalar(select(Decision).where(Decision.message_id == m.id).order_by(Decision.id.desc()).limit(1))
            assert (last.rule, last.verdict) == ("US-21", "refuse")

        w2 = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:01:00Z")
        assert w2.returncode == 0, w2.stderr
        assert "$160.00 on your account is 36 days past due" in w2.stdout, w2.stdout
        w3 = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:02:00Z")
        assert "past due" not in w3.stdout, w3.stdout                 # once
        with d.services.sessions() as s:
            rows = s.execute(select(CadenceSend.step, CadenceSend.status)).all()
            assert [tuple(r) for r in rows] == [("dpd30", "queued")]
            sent = s.scalars(select(Message.body).where(Message.kind == "notice", Message.status != "refused")).all()
            assert len(sent) == 1 and "36 days" in sent[0]


@pytest.mark.parametrize("text, figure", [
    ("Your account is past due for 35 days.", 35),
    ("Your balance is overdue by 35 days", 35),
    ("You are now 35 days behind on payments", 35),
    ("Your account is 35 days in arrears", 35),
    ("Your account has been late for 35 days", 35),
    ("您的账户逾期达35天", 35),
    ("您的账户逾期已达35天", 35),
    ("您的账户已逾期三十五天", 35),
    ("您的账户逾期了３５天", 35),
    ("您已拖欠35天", 35),
])
def test_stated_days_past_due_reads_other_phrasings(text, figure):
    """US-21: the stop-12 note's misses — a custom script's "past due for 35 days" or
    逾期达35天 stated a figure the gate never compared."""
    assert stated_days_past_due(text) == (figure,)


@pytest.mark.parametrize("text", [
    "Your account is past due for more than 30 days",
    "Please pay within 10 days to avoid late fees",
    "您的账户逾期超过30天", "您的账户逾期30天以上", "请在逾期30天内还款",
    "Your payment is overdue. Reply PAY to pay now.",
])
def test_stated_days_past_due_leaves_bounds_and_deadlines_alone(text):
    assert stated_days_past_due(text) == ()


def test_US_21_gate_refuses_a_stale_figure_in_a_custom_phrasing():
    body = "Hi Sam, your account is past due for 35 days. Reply PAY to pay. Reply STOP to opt out."
    stale = Candidate("notice", sender="system", in_reply_to_inbound=False, approved=True,
                      stated_dpd=stated_days_past_due(body))
    assert decide(stale, GateContext(consent=True, dpd=36)).rule == "US-21"
    assert decide(stale, GateContext(consent=True, dpd=35)).action == "send"
