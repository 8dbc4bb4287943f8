"""The script simulator at the pure core: the same interpret() and step() as the runner,
nothing stored."""

from __future__ import annotations

import datetime as dt

from bot import dialogs
from bot.dialogs.simulate import SAMPLE_PAY_LINK, samples, simulate
from duly.config import load_settings

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)
SCRIPT = dialogs.load_script(dialogs.default_script_text())
POLICY = load_settings(env={"DATABASE_URL": "sqlite://"}).policy()
SAMPLES = {s.key: s for s in samples(NOW)}


def test_us_pay_promise_and_stop():
    steps = simulate(SCRIPT, SAMPLES["us"], ["pay", "I can pay 50 on friday", "yes", "stop"], NOW, POLICY)
    assert steps[0].text is None and "Dana Whitfield" in steps[0].replies[0][1]
    assert steps[1].intent == "pay" and SAMPLE_PAY_LINK in steps[1].replies[-1][1]
    assert steps[2].intent == "promise" and steps[2].entities["amount"] == "50.00"
    assert any(a.startswith("RecordPromise SAMPLE-US 5000 minor units on 2026-12-04") for a in steps[3].actions)
    assert steps[4].intent == "stop" and any(a.startswith("OptOut") for a in steps[4].actions)


def test_uk_identity_first_then_amounts():
    steps = simulate(SCRIPT, SAMPLES["uk"], ["balance", "SW1A 1AA", "balance"], NOW, POLICY)
    assert "£" not in steps[0].replies[0][1]                       # UK-06: nothing before identity
    assert steps[2].state == SCRIPT.menu
    assert any("£300.00" in text for _, text in steps[3].replies)


def test_wrong_identity_answer_is_refused():
    steps = simulate(SCRIPT, SAMPLES["uk"], ["N1 9GU"], NOW, POLICY)
    assert all("£" not in text for _, text in steps[1].replies)


def test_chinese_plan():
    steps = simulate(SCRIPT, SAMPLES["cn"], ["分期"], NOW, POLICY)
    assert steps[1].intent == "plan" and "¥" in steps[1].replies[0][1]
