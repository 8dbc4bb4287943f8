"""Chinese (and mixed Chinese-English, traditional, Cantonese) replies the third red-team
probe got wrong, and their neighbours. Dates resolve against Monday 2026-11-30 10:00
Asia/Shanghai."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

SH = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(SH))


def run(text, context="notice", **kw):
    return interpret(text, context=context, now=NOW, tz=SH, **kw)


# --- US-06 missed opt-outs (certain), with their channels (US-05 per medium, US-17 cease) ---

@pytest.mark.parametrize("text, channel", [
    # remove my number from the system
    ("请将我的号码从系统中移除", "sms"), ("从你们的名单里删除我", "sms"), ("麻烦移除我的号码", "sms"),
    # stop collecting / all contact: a cease (US-17)
    ("我要求你们停止一切催收联系", "all"), ("停止催收！", "all"), ("请停止所有催收", "all"), ("不要再催收了", "all"),
    ("停止一切联系", "all"),
    # mail/email only: texts and calls off
    ("只接受邮件联系", "sms+voice"), ("只用邮件联系我", "sms+voice"), ("只接受书面联系", "sms+voice"),
    ("有事发邮件，别打电话别发短信", "sms+voice"), ("以后有事别发短信了，直接写信寄到我家", "sms+voice"),
    # cancel / switch off "this" text or reminder
    ("怎么取消这个短信", "sms"), ("我想关掉这个提醒", "sms"), ("取消这些短信", "sms"), ("关闭所有短信通知", "sms"),
    ("怎么关掉这个通知", "sms"),
    # Cantonese
    ("咪再打嚟", "voice"), ("咪再发啦", "sms"), ("這些短訊好煩，停咗佢", "sms"), ("停咗佢啦", "sms"),
    # calls to the workplace: a place restriction on calls, never a request for an agent
    ("不要再往我公司打电话了", "voice"), ("你们别打我公司电话就行，我会还的", "voice"), ("別再打去我公司", "voice"),
    ("不要打我单位电话", "voice"), ("别打到我单位去", "voice"),
    # a complaint about constant texts
    ("你们是不是有病，天天发", "sms"),
])
def test_us06_zh_missed_opt_outs(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)
    assert it.confidence >= 0.75


@pytest.mark.parametrize("text", ["别再逼我了，再逼我就去死", "免打扰", "你们这些短信很烦", "短信好烦啊"])
def test_us06_zh_possible_opt_outs_are_unsure_stops(text):
    it = run(text)
    assert it.name == "stop" and it.confidence < 0.75


# --- false opt-outs: not a stop ------------------------------------------------------------

@pytest.mark.parametrize("text, intent", [
    ("不要退订我，我还要提醒", "unknown"), ("我不想退订", "unknown"), ("别帮我退订", "unknown"),
    ("TD是什么意思？回了会怎样", "help"), ("TD是什么", "help"), ("回TD会怎样", "help"), ("T是什么意思", "help"),
    ("回T会退订吗？我不想退，只想问余额", "balance"),
    ("我在TD银行转的账，已经还了", "paid_already"),
])
def test_us06_zh_false_opt_outs(text, intent):
    assert run(text).name == intent


@pytest.mark.parametrize("text", ["TD", "退订TD", "TD谢谢", "回复TD退订", "TD 不要"])
def test_us06_zh_keyword_still_stops(text):
    it = run(text)
    assert it.name == "stop" and it.confidence >= 0.75


# --- US-16: a refusal conditional on seeing the statement is a dispute, not a cease ------

@pytest.mark.parametrize("text", [
    "账单没给我看之前我不还", "不给我明细我是不会还的", "先把明细发给我，不然不还", "我要看还款明细再说",
    "看账单再说，先别催",
])
def test_us16_zh_conditional_refusal_is_dispute(text):
    assert run(text).name == "dispute"


def test_us17_zh_plain_refusal_still_a_cease():
    it = run("这钱我不还")
    assert (it.name, it.entities.channel) == ("stop", "all")


# --- US-16 dispute --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "我借的是5000，怎么变成12000了", "砍头息我不认", "合同上写的不是这个利率", "呢筆數唔係我嘅", "砌生豬肉，我冇借過",
    "已经超过诉讼时效了", "我没有签过任何合同", "本金早还了，剩下都是你们乱收的利息", "我怀疑你们是高利贷",
    "我在你们这借过钱吗？什么时候的事",
])
def test_us16_zh_dispute(text):
    assert run(text).name == "dispute"


# --- US-12 wrong number -----------------------------------------------------------------------

@pytest.mark.parametrize("text, context", [
    ("唔係我", "verify"), ("他是我前夫，早就不用这个号了", "notice"), ("你们找谁？这里没有叫王芳的", "notice"),
    ("我只是借了他的手机", "notice"), ("这是公司座机", "notice"),
])
def test_us12_zh_wrong_number(text, context):
    assert run(text, context).name == "wrong_number"


# --- UK-01/UK-07 hardship; colloquial "bankrupt"; a deceased account holder -------------------

@pytest.mark.parametrize("text", [
    "孩子要交学费，这个月真的没办法", "实在不行我就去死好了", "我是低保户", "穷得叮当响", "破产了都，哪有钱", "我都快破产了",
    "我老公出车祸了，在ICU", "我确诊了白血病", "活着太累了", "我真想一了百了", "还不上我就从楼上跳下去", "撑不下去了",
    "我快崩溃了", "我在坐牢，出来再说", "活着真没意思，欠一屁股债", "有时候真想吃安眠药睡过去算了", "想不开了",
])
def test_uk07_zh_hardship(text):
    assert run(text).name == "hardship"


@pytest.mark.parametrize("text, intent", [
    ("我破产了", "bankruptcy"), ("我快破产了", "bankruptcy"), ("我已经申请破产了", "bankruptcy"),
    ("你去死吧", "abuse"), ("系统崩溃了，等会还", "promise"),
])
def test_zh_hardship_guards(text, intent):
    assert run(text).name == intent


@pytest.mark.parametrize("text, intent, rule", [
    ("我爸上个月走了，这是他的手机", "unknown", "unknown.deceased"),
    ("这个号码的主人已经去世了", "unknown", "unknown.deceased"),
    ("他去世了", "unknown", "unknown.deceased"),
    ("我老公去世了", "hardship", "hardship.lexicon"),  # the customer's own loss
])
def test_zh_deceased_account_holder_is_read_by_a_person(text, intent, rule):
    it = run(text)
    assert (it.name, it.rule) == (intent, rule)


# --- amounts: 一万五, 2千, spelled ranges ------------------------------------------------

@pytest.mark.parametrize("text, context, amount, amount_max, date", [
    ("一万五下个月5号还", "notice", "15000", None, "2026-12-05"),
    ("1万5周五还", "notice", "15000", None, "2026-12-04"),
    ("2千周五", "notice", "2000", None, "2026-12-04"),
    ("2千5明天还", "notice", "2500", None, "2026-12-01"),
    ("两千月底还", "notice", "2000", None, "2026-11-30"),
    ("两百到三百", "ask_amount", "200", "300", None),
    ("一千到一千五", "ask_amount", "1000", "1500", None),
])
def test_zh_amounts(text, context, amount, amount_max, date):
    it = run(text, context)
    assert it.name == "promise"
    assert it.entities.amount == Decimal(amount)
    assert it.entities.amount_max == (Decimal(amount_max) if amount_max else None)
    assert (it.entities.date.isoformat() if it.entities.date else None) == date


@pytest.mark.parametrize("text", ["三百天", "两千年"])
def test_zh_not_amounts(text):
    assert run(text).entities.amount is None


# --- plan choice and Cantonese yes/no -----------------------------------------------------

@pytest.mark.parametrize("text, option", [
    ("第三種", 3), ("选第二个，每月还多少？", 2), ("我选方案2，每月还800", 2), ("第二个方案每月多少", 2),
])
def test_zh_plan_choice(text, option):
    it = run(text, "plan_offer")
    assert (it.name, it.entities.option) == ("choice", option)


def test_zh_plan_amount_is_not_a_choice():
    assert run("每月还500", "plan_offer").name == "plan"


@pytest.mark.parametrize("text, intent", [("係", "affirm"), ("冇問題", "affirm"), ("唔係", "deny")])
def test_cantonese_yes_no(text, intent):
    assert run(text, "confirm").name == intent


# --- paid, payment arrangements, balance, help, questions ----------------------------------

@pytest.mark.parametrize("text, intent, rule", [
    ("还款截图发给你们了", "paid_already", None), ("钱已经打到你们对公账户了", "paid_already", None),
    ("还了啊，你们查一下", "paid_already", None),
    ("把明天的自动扣款停掉，我手动还", "unknown", "unknown.cancel_payment"),
    ("我想取消上周五约好的还款", "unknown", "unknown.cancel_payment"),
    ("别停我的自动还款", "unknown", "unknown.keep_payment"), ("不要取消我的分期", "unknown", "unknown.keep_payment"),
    ("最后还款日是哪天", "balance", None), ("仲欠幾多", "balance", None),
    ("一次性还清能打折吗", "plan", None),
    ("如果今天不还会上征信吗", "unknown", "unknown.question"),
    ("怎么操作", "help", None), ("有什么选项", "help", None),
    ("你问这个干嘛", "who_is_this", None),
])
def test_zh_money_and_questions(text, intent, rule):
    it = run(text, "verify" if text == "你问这个干嘛" else "notice")
    assert it.name == intent
    if rule:
        assert it.rule == rule
