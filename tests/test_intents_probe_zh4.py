"""Chinese (and traditional, Cantonese) replies the fourth red-team probe got wrong, and
their neighbours. Dates resolve against Monday 2026-11-30 10:00 Asia/Shanghai."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

SH = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(SH))


def run(text, context="notice", **kw):
    return interpret(text, context=context, now=NOW, tz=SH, **kw)


# --- US-06: "please stop sending me …" with the object before the verb is a certain stop ---

@pytest.mark.parametrize("text, channel", [
    ("请停止给我发送信息", "sms"), ("请停止向我发送信息", "sms"), ("请停止给我推送消息", "sms"), ("请停止对我发送短信", "sms"),
    ("请你们停止给我发送任何信息", "sms"), ("麻烦停止给我发送信息，谢谢", "sms"), ("請停止向我發送訊息", "sms"),
    ("请停止给我打电话", "voice"),
    # US-05 mail only: texts and calls off, e-mail is what they asked for
    ("只能发邮件，不要打电话和发短信", "sms+voice"), ("只发邮件给我，别的都不要", "sms+voice"),
])
def test_us06_zh_stop_sending_me(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)
    assert it.confidence >= 0.75


# --- US-06: a question about what 退订 does is a possible opt-out (unsure), not a certain one ---

@pytest.mark.parametrize("text", ["退订会影响我的征信吗", "退订了还能查账单吗", "退订以后还会收到提醒吗", "退訂會唔會影響我信用？",
                                  "退订的话是不是就不用还了", "回T以后还会收到短信吗？", "退订会怎样"])
def test_us06_zh_question_about_unsubscribing_is_unsure(text):
    it = run(text)
    assert it.name == "stop" and it.confidence < 0.75


@pytest.mark.parametrize("text", ["退订", "我要退订", "退订吧", "怎么退订", "我可以退订吗", "帮我退订可以吗", "退订，我下周还",
                                  "退订会影响征信吗？算了不管了，别再发了"])
def test_us06_zh_unsubscribe_requests_stay_certain(text):
    it = run(text)
    assert it.name == "stop" and it.confidence >= 0.75


def test_us06_zh_help_question_about_gateway_keyword_stays_help():
    assert run("回TD会怎样").name == "help"


# --- stopping autopay / instalments is cancelling a payment (a person handles it), not an opt-out ---

@pytest.mark.parametrize("text", ["停止自动还款，我自己手动还", "关闭自动还款", "停止自动扣款", "停止分期", "关掉自动扣款，我自己还"])
def test_zh_stop_autopay_is_cancel_payment(text):
    assert (run(text).name, run(text).rule) == ("unknown", "unknown.cancel_payment")


def test_zh_stop_charging_interest_is_a_plan_request():
    assert run("停止收利息吧").name == "plan"


# --- US-16: identity theft is a dispute, not a wrong number ---

@pytest.mark.parametrize("text", ["不是我本人借的，是被人冒用了", "不是本人借的", "有人盗用我的身份证借的", "我的身份证被人盗了，这钱不是我借的",
                                  "我没借过，是别人冒名借的"])
def test_us16_zh_identity_theft_is_dispute(text):
    assert run(text).name == "dispute"


@pytest.mark.parametrize("text", ["不是本人", "我不是本人", "这不是我本人的号码"])
def test_us12_zh_not_the_person_stays_wrong_number(text):
    assert run(text).name == "wrong_number"


# --- US-12 Cantonese "I'm not Mr Chan"; UK-01 Cantonese job loss ---

@pytest.mark.parametrize("text, context", [("我唔係陳生", "verify"), ("我唔係陳生", "notice"), ("我唔係佢", "notice")])
def test_us12_zh_cantonese_not_that_person(text, context):
    assert run(text, context).name == "wrong_number"


@pytest.mark.parametrize("text", ["我唔係唔還", "我唔係講笑"])
def test_zh_cantonese_not_not_paying_is_neither_refusal_nor_wrong_number(text):
    assert run(text).name not in ("stop", "wrong_number")


@pytest.mark.parametrize("text", ["我而家失咗業，冇收入", "我俾人炒咗魷魚", "冇工開，冇錢還"])
def test_uk01_zh_cantonese_job_loss_is_hardship(text):
    assert run(text).name == "hardship"


# --- a relative reporting the account holder's death: unknown (a person reads it), not a wrong number ---

@pytest.mark.parametrize("text", ["借款人已经去世了，我是他儿子", "我是他老婆，他上个月去世了", "我爸上个月过世了，这是他的账户",
                                  "他走了，我是他儿子", "借款人去世了", "我係佢個仔，佢上個月走咗"])
def test_zh_deceased_account_holder_reported_by_relative(text):
    assert (run(text).name, run(text).rule) == ("unknown", "unknown.deceased")


@pytest.mark.parametrize("text, intent", [("我是他老婆，他不在家", "wrong_number"), ("我是他儿子", "wrong_number"), ("他不在了", "wrong_number"),
                                          ("我老公去世了，我一个人带孩子", "hardship")])
def test_zh_relatives_and_own_loss_unchanged(text, intent):
    assert run(text).name == intent


# --- money: 先 = "(only) then" after a time is a promise; a part payment with an amount stays a plan ---

@pytest.mark.parametrize("text, intent", [
    ("出糧先還", "promise"), ("月尾先還到", "promise"), ("发工资先还", "promise"),
    ("一千五先还上", "plan"), ("先还一千", "plan"), ("明天先还￥800", "plan"),  # corpus: a dated part payment is a plan
])
def test_zh_xian_then_vs_part_payment(text, intent):
    assert run(text).name == intent


@pytest.mark.parametrize("text, option", [("要二號方案", 2), ("方案一可以", 1), ("要方案三", 3)])
def test_zh_plan_number_is_a_choice_not_a_date(text, option):
    it = run(text, "plan_offer")
    assert (it.name, it.entities.option, it.entities.date) == ("choice", option, None)


@pytest.mark.parametrize("text, context, intent", [
    ("有没有什么还款方案", "notice", "plan"),
    ("最晚什么时候还", "notice", "balance"), ("我最晚周五还", "notice", "promise"),
    ("刚刚在APP上还了1000", "notice", "paid_already"), ("昨天银行转账了，有回执", "notice", "paid_already"),
    ("今早已經過咗數", "notice", "paid_already"),
    ("能刷信用卡还吗", "notice", "pay"), ("而家俾錢得唔得", "notice", "pay"), ("我现在就把钱转过去", "notice", "pay"),
    ("我冇錢俾", "notice", "hardship"),
    ("帮我查一下还有多少没还", "notice", "balance"), ("仲有幾多未還？", "notice", "balance"),
    ("好的，没问题，就这么定", "confirm", "affirm"), ("对，是这个金额", "confirm", "affirm"), ("金额", "notice", "unknown"),
    ("可以重新发了", "opted_out", "start"),
    ("你们这帮吸血鬼", "notice", "abuse"), ("吃屎啦", "notice", "abuse"),
])
def test_zh_money_and_other_misses(text, context, intent):
    assert run(text, context).name == intent


def test_zh_paid_in_app_keeps_amount():
    it = run("刚刚在APP上还了1000")
    assert (it.name, it.entities.amount) == ("paid_already", Decimal("1000"))
