"""UK-07 "self-harm terms → immediate escalation" (seventh probe, a new-user trial): "honestly
I want to kill myself over this debt", "I can't take this anymore, I want to end it all" and
我不想活了 got the hardship text ("options such as lower payments or more time": payment
options to a suicidal person) and the inbox showed "P1 hardship"; a conversation with a dispute
pending got no reply at all. Now the engine answers with the crisis-support text
(``self_harm_support``; crisis lines by jurisdiction: US 988, UK Samaritans 116 123, China
12356 — no payment talk, no amount), places a vulnerability hold and hands off with its own
reason, ``self_harm``, at priority 1 (config.toml ``[agent] sla_minutes.self_harm``, the
shortest) — also while a hand-off is open, an agent owns the conversation or a dispute is
pending (G-01's silence yields to UK-07; the answer carries no debt). Never to a number opted
out of texts (US-05, the gate refuses it): the hold and the hand-off only. The validator
refuses payment words and debt placeholders in the crisis texts.

Also the trial's refusals (US-17): "I'm not paying you a dime, f off" is a cease — the cease
hold, the cease acknowledgement, and no cadence text afterwards.

Pure (the real interpreter, then :func:`bot.dialogs.step`; Monday 2026-11-30 10:00 New York),
and over real HTTP (tests/live.py ``Duly``: signed webhooks to a real uvicorn).
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from sqlalchemy import select

from bot.actions import Flag, Handoff, OptOut, Reply, SetHold
from bot.agent_hours import sla_minutes
from bot.dialogs import default_script_text, load_script
from bot.dialogs.script import BUILTIN_TEMPLATES, validate
from bot.types import SELF_HARM_RULE, ConversationState
from tests.test_dialogs_support import CONFIG, SCRIPT, account, cn_account, facts, of, replies, texts, uk_account
from tests.test_dialogs_vulnerable_stop import talk

REF = "ACC-100-4521"
TRIAL = ["honestly I want to kill myself over this debt",
         "I can't take this anymore, I want to end it all",
         "我不想活了"]
PAYMENT_WORDS = ("pay", "$", "plan", "lower payments", "more time", "还款", "分期", "¥", "£")


def _no_payment_talk(acts):
    for body in texts(acts):
        assert not any(w in body.lower() for w in PAYMENT_WORDS), body


@pytest.mark.parametrize("text", TRIAL)
def test_UK_07_trial_self_harm_gets_crisis_lines_a_hold_and_a_self_harm_handoff(text):
    st, acts, it = talk(facts(), text)
    assert it.name == "hardship" and it.rule == SELF_HARM_RULE, it
    assert [r.template for r in replies(acts)] == ["self_harm_support"]      # not "hardship"
    assert "988" in texts(acts)[0]
    _no_payment_talk(acts)
    assert SetHold("vulnerability", REF, rule="UK-07") in acts
    assert Flag("vulnerability") in acts and Flag("self_harm") in acts
    assert of(acts, Handoff) == [Handoff("self_harm", 1)]
    assert st.mode == "agent"


@pytest.mark.parametrize("f, number", [
    (facts(uk_account()), "116 123"),
    (facts(uk_account(identity_confirmed=True)), "116 123"),
    (facts(cn_account()), "12356"),
    (facts(account()), "988"),
])
def test_UK_07_crisis_lines_by_jurisdiction(f, number):
    line = "我不想活了" if f.accounts[0].profile == "cn" else "i want to end it all"
    st, acts, it = talk(f, line)
    [body] = texts(acts)
    assert number in body, body
    _no_payment_talk(acts)
    assert not any(str(v) for r in replies(acts) for k, v in r.params.items() if k not in ("creditor", "contact"))


def test_UK_07_chinese_on_a_us_account_gets_988_in_chinese():
    st, acts, it = talk(facts(), "我不想活了")
    [body] = texts(acts)
    assert "988" in body and "心理" not in body and replies(acts)[0].lang == "zh"


def test_UK_07_unknown_phone_gets_the_crisis_lines_and_the_phone_is_held():
    st, acts, it = talk(facts(accounts=()), "i want to kill myself")
    assert [r.template for r in replies(acts)] == ["self_harm_support"]
    assert SetHold("vulnerability", None, rule="UK-07") in acts
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)


@pytest.mark.parametrize("text", TRIAL)
def test_UK_07_answered_while_a_dispute_is_pending(text):
    """The trial: a disputed conversation (dispute hold, hand-off open, agent mode) got no reply."""
    f = facts(account(holds=("dispute",)))
    st = ConversationState("menu", {"account_ref": REF, "lang": "en"}, "agent")
    st, acts, it = talk(f, text, st=st)
    assert [(r.template, r.kind) for r in replies(acts)] == [("self_harm_support", "handoff_notice")]
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)
    assert SetHold("vulnerability", REF, rule="UK-07") in acts


@pytest.mark.parametrize("holds", [(), ("cease",), ("attorney",)])
def test_UK_07_answered_while_an_agent_owns_the_conversation_or_under_a_silencing_hold(holds):
    f = facts(account(holds=holds))
    st = ConversationState("menu", {"account_ref": REF}, "agent" if not holds else "bot")
    st, acts, it = talk(f, "i just want to die", st=st)
    assert [r.template for r in replies(acts)] == ["self_harm_support"]
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)


def test_UK_07_a_promise_with_self_harm_words_records_nothing_and_says_nothing_of_paying():
    st, acts, it = talk(facts(), "ill pay 50 friday but honestly i want to kill myself")
    assert [r.template for r in replies(acts)] == ["self_harm_support"]
    assert "promise" not in st.slots
    _no_payment_talk(acts)


@pytest.mark.parametrize("text, own", [
    ("this is not my debt. you people make me want to kill myself", "dispute_ack"),
    ("wrong number. i want to kill myself", "wrong_number"),
])
def test_UK_07_protective_paths_keep_their_answer_and_add_the_crisis_lines(text, own):
    st, acts, it = talk(facts(), text)
    assert [r.template for r in replies(acts)] == [own, "self_harm_support"]
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)


def test_UK_07_US_05_opted_out_gets_no_text_but_the_hold_and_the_handoff():
    f = facts(opted_out=frozenset({"sms"}))
    st = ConversationState("menu", {"account_ref": REF, "opted_out": True})
    st, acts, it = talk(f, "i want to end it all", st=st)
    assert replies(acts) == []
    assert SetHold("vulnerability", REF, rule="UK-07") in acts
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)


def test_UK_07_stop_with_self_harm_only_the_confirmation_and_a_self_harm_handoff():  # US-05/US-08
    st, acts, it = talk(facts(), "stop texting me or i'll kill myself")
    assert of(acts, OptOut)
    assert [r.kind for r in replies(acts)] == ["optout_confirmation"]
    assert of(acts, Handoff)[0] == Handoff("self_harm", 1)


@pytest.mark.parametrize("text", ["I lost my job and can't pay", "this debt is killing me"])
def test_guard_hardship_without_self_harm_keeps_the_hardship_path(text):
    st, acts, it = talk(facts(), text)
    assert [r.template for r in replies(acts)] == ["hardship"]
    assert of(acts, Handoff)[0].reason == "hardship"


def test_UK_07_self_harm_has_the_shortest_sla():
    table = CONFIG["agent"]["sla_minutes"]
    assert table["self_harm"] == min(table.values())
    assert sla_minutes({"sla_minutes": {"hardship": 30, "default": 60}}, "self_harm") == 5   # older settings


# --- the validator: no payment words, no debt placeholders in the crisis texts -------------

PROFILES = CONFIG["profiles"]


def _with(key, lang, text):
    src = default_script_text()
    start = src.index(f"[templates.{key}]")
    end = src.index("\n[", start + 1)
    block = src[start:end]
    line = next(ln for ln in block.splitlines() if ln.startswith(f"{lang} = "))
    return src.replace(block, block.replace(line, f'{lang} = "{text}"'))


def test_the_default_script_and_the_builtins_validate():
    assert validate(default_script_text(), PROFILES) == []
    stripped = default_script_text()
    for key in ("self_harm_support", "self_harm_support_uk", "self_harm_support_cn"):
        assert key in BUILTIN_TEMPLATES and set(BUILTIN_TEMPLATES[key]) == {"en", "zh"}
        start = stripped.index(f"[templates.{key}]")
        stripped = stripped[:start] + stripped[stripped.index("\n[", start + 1) + 1:]
    script = load_script(stripped, PROFILES)     # a script without them gets the built-ins
    assert "116 123" in script.templates["self_harm_support_uk"]["en"]


@pytest.mark.parametrize("key, lang, text", [
    ("self_harm_support", "en", "Call 988. When you feel better, reply PAY to pay what you can."),
    ("self_harm_support", "en", "Call 988. Your balance is {{ past_due }}."),
    ("self_harm_support_uk", "en", "Call Samaritans on 116 123. We can also set up a payment plan."),
    ("self_harm_support_cn", "zh", "请拨打12356。您也可以申请分期还款。"),
    ("self_harm_support_cn", "zh", "请拨打12356。{{ name }}，您的欠款我们可以商量。"),
    ("self_harm_support", "en", "Call 988 or visit https://example.com/pay"),
])
def test_validator_refuses_payment_words_and_debt_placeholders(key, lang, text):
    problems = validate(_with(key, lang, text), PROFILES)
    assert any(f"templates.{key}" in str(p) for p in problems), problems


def test_validator_lets_the_numbers_be_edited():
    assert validate(_with("self_harm_support_cn", "zh", "请拨打本地心理危机干预热线 010-82951332。"), PROFILES) == []


# --- over real HTTP -----------------------------------------------------------------------

E2E_ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""


def test_UK_07_e2e_self_harm_after_a_dispute_is_answered_with_crisis_lines_and_a_self_harm_handoff(db_url):
    from storage.models import Account, Handoff as HandoffRow, Hold
    from tests.live import Duly, replies_in

    with Duly(db_url) as duly:
        assert duly.import_accounts(E2E_ACCOUNTS).errors == []
        assert replies_in(duly.sms("this is not my debt", frm="+15555550101").text)   # dispute_ack
        duly.clock.advance(minutes=1)
        r = duly.sms("honestly I want to kill myself over this debt", frm="+15555550101")
        assert r.status_code == 200, r.text
        [body] = replies_in(r.text) or [duly.outbound_bodies()[-1]]
        assert "988" in body and "$" not in body and "pay" not in body.lower(), body
        conv = duly.conversation("+15555550101")
        assert "vulnerability" in conv["flags"] and "self_harm" in conv["flags"] and conv["mode"] == "agent"
        with duly.services.sessions() as s:
            acct_id = s.scalar(select(Account.id).where(Account.account_ref == "ACME-4417"))
            kinds = sorted(h.kind for h in s.scalars(select(Hold).where(Hold.account_id == acct_id,
                                                                      Hold.cleared_at.is_(None))))
            assert kinds == ["dispute", "vulnerability"]
            [open_] = s.scalars(select(HandoffRow).where(HandoffRow.resolved_at.is_(None))).all()
            assert (open_.reason, open_.priority) == ("self_harm", 1)
            assert open_.sla_due_at == duly.clock() + dt.timedelta(minutes=5)


def test_US_17_e2e_trial_refusal_is_a_cease_and_no_cadence_text_follows(db_url):
    """The trial's first harm: "I'm not paying you a dime, f off" got the abuse text, no cease
    hold, and a cadence text went out later. Now: the cease acknowledgement, the cease hold,
    and the cadence step queued before it is refused at dispatch (US-17)."""
    from storage.models import Decision, Hold, Message
    from tests.live import Clock, Duly, replies_in
    from tests.test_cadence_silence import ACCOUNTS, SAM
    from tests.test_cycle_e2e import duly_cli

    queued_at = dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.timezone.utc)       # 21:30 Chicago
    with Duly(db_url, clock=Clock(queued_at + dt.timedelta(minutes=30))) as d:
        assert d.import_accounts(ACCOUNTS, today=dt.date(2026, 11, 30)).errors == []
        r = duly_cli(db_url, "campaign", "run", "--now", queued_at.isoformat())
        assert r.returncode == 0 and "SIL-1" in r.stdout, r.stdout + r.stderr
        with d.services.sessions() as s:
            (notice,) = s.scalars(select(Message).where(Message.kind == "notice")).all()
            assert notice.status == "deferred"          # waits for 08:00 (US-01)
        got = replies_in(d.sms("I'm not paying you a dime, f off", frm=SAM).text)
        assert got == ["We've received your request. We will stop contacting you about this account."], got
        with d.services.sessions() as s:
            assert "cease" in {h.kind for h in s.scalars(select(Hold).where(Hold.cleared_at.is_(None)))}
        w = duly_cli(db_url, "worker", "--once", "--now", "2026-12-01T15:00:00Z")   # 09:00 Chicago
        assert w.returncode == 0, w.stderr
        with d.services.sessions() as s:
            m = s.get(Message, notice.id)
            assert m.status == "refused"
            last = s.scalar(select(Decision).where(Decision.message_id == m.id)
                            .order_by(Decision.id.desc()).limit(1))
            assert last.verdict == "refuse" and last.rule in ("US-05", "US-17"), (last.rule, last.detail)
