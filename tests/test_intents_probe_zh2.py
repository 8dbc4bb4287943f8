"""Chinese (and mixed Chinese-English, traditional, Cantonese) replies the second red-team
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


# --- US-17: a refusal to pay is a cease (stop, channel all, certain), even with abuse ------

@pytest.mark.parametrize("text", [
    "这钱我不还", "就不还，你能怎样", "爱咋咋地，不还", "不还了", "我不还", "我不还钱", "没钱也不想还",
    "老子不还了，去死吧", "草泥马，不还", "不还！！！", "以后不还了", "不还又怎样", "打死我也不还",
    "你能把我怎么样，就不还", "还个屁", "一分不给", "一分钱不给你们",
    # traditional and Cantonese
    "我不還", "这钱我不還，愛咋咋地", "唔還", "我唔會還錢",
])
def test_us17_zh_refusal_is_a_cease(text):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", "all")
    assert it.confidence >= 0.75


@pytest.mark.parametrize("text", ["不还，别发了", "不还了，别打电话", "别再发短信了，反正不还"])
def test_us17_zh_refusal_with_a_medium_is_still_all(text):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", "all")


@pytest.mark.parametrize("text, intent, channel", [
    # a denied refusal, a deferral, a question or a condition is not a refusal
    ("不是我不想还，是真的没钱", "hardship", None), ("谁不想还钱啊，真的没钱", "hardship", None),
    ("不是不还，是没钱", "hardship", None), ("暂时不还，过几天还", "promise", None),
    ("这个月不还了，下个月再还", "promise", None), ("今天不还，明天还", "promise", None),
    ("如果不还会怎样", "unknown", None), ("不还会怎么样", "unknown", None), ("我可以不还吗", "unknown", None),
    ("我不会不还的", "unknown", None), ("我不还价", "unknown", None),
    # a refused fee is a dispute (US-16); a third party's debt a wrong number (US-12)
    ("利息我不还", "dispute", None), ("他借了钱一直不还，关我什么事", "wrong_number", None),
    # a promise next to a stop keeps the stop's own medium
    ("别再发了，我周五会还的", "stop", "sms"), ("别打电话了，我不是不还", "stop", "voice"),
])
def test_us17_zh_not_a_refusal(text, intent, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == (intent, channel)


# --- US-06 opt-outs: mixed code, traditional, Cantonese, adverbs, frequency complaints --------

@pytest.mark.parametrize("text, channel", [
    ("不要再 message 我", "sms"), ("please 别 call 我", "voice"), ("别再 text 我", "sms"), ("別再 text 我", "sms"),
    ("不要再 call 我了", "voice"), ("不要 message 我了", "sms"), ("别 send 了", "sms"), ("pls 不要再 sms 我", "sms"),
    ("don't 发了", "sms"), ("dont 发短信了", "sms"), ("Don't 再发了", "sms"), ("no more 短信", "sms"), ("no more 电话", "voice"),
    ("請停止傳送簡訊", "sms"), ("唔該唔好再發短訊", "sms"),
    ("唔使再發", "sms"), ("唔好再搵我", "all"), ("取消訂閱", "sms"),
    ("别老打电话，发短信就行", "voice"), ("别总是打电话", "voice"), ("不要老来烦我", "all"),
    ("一天发八百遍有意思吗", "sms"), ("一天打好几个电话", "voice"), ("你们不停地发短信", "sms"),
    ("别提醒了", "sms"), ("不用再提醒了", "sms"),
])
def test_us06_zh_opt_out(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)
    assert it.confidence >= 0.75


@pytest.mark.parametrize("text", ["别老催了", "收皮啦"])
def test_us06_zh_possible_opt_out_is_unsure_stop(text):
    it = run(text)
    assert it.name == "stop" and it.confidence < 0.75


@pytest.mark.parametrize("text, intent", [
    ("不用提醒了，已经还了", "paid_already"), ("不要停止短信提醒", "unknown"), ("不要停，继续提醒我", "unknown"),
    ("别老发链接", "pay"), ("别停我的卡，我今天就还", "pay"),
])
def test_us06_zh_not_an_opt_out(text, intent):
    assert run(text).name == intent


# --- UK-07 + US-06: self-harm with an opt-out stays an opt-out (the opt-out is honoured); the
# engine's UK-07 check escalates self-harm at priority 1 whatever the intent (engine._vulnerability)

@pytest.mark.parametrize("text, channel", [("不要再发了，我不想活了", "sms"), ("别再打电话了，我想死", "voice")])
def test_uk07_us06_zh_self_harm_with_opt_out_stays_stop(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)


# --- UK-01/UK-07 hardship: unpaid wages, bereavement, no money, hospital -----------------------

@pytest.mark.parametrize("text", [
    "工资三个月没发了", "工资拖了三个月没发", "三个月没有工资", "老板欠我工资", "老板跑路了",
    "我老公走了，我一个人带孩子", "我老婆上个月走了", "我爸走了", "我一个人带孩子",
    "一分钱都没有", "我现在身无分文", "逼死我算了", "我在医院", "冇錢還", "今天还不了",
    # the employer's bankruptcy is the customer's hardship, not a bankruptcy
    "公司破产了，我没工作了", "我们厂破产了", "老板破产了，工资没发", "公司关门了",
])
def test_uk01_zh_hardship(text):
    assert run(text).name == "hardship"


def test_zh_hardship_bare_nothing_after_ask_amount():
    assert run("一分都没有", "ask_amount").name == "hardship"


@pytest.mark.parametrize("text, intent", [
    ("我破产了", "bankruptcy"), ("我快破产了", "bankruptcy"), ("我在法院申请破产了", "bankruptcy"),
    ("我在医院上班", "unknown"),
])
def test_zh_hardship_guards(text, intent):
    assert run(text).name == intent


def test_zh_not_a_cent_less_is_not_hardship():
    assert run("一分没少还").name != "hardship"  # "not a cent less": 一分…没有 only


# --- US-16 dispute: validation requests, refused fees, borrowing denied ------------------------

@pytest.mark.parametrize("text, context", [
    ("我要看借款合同", "notice"), ("把合同发给我看看", "notice"), ("请提供借款合同", "notice"), ("你们有借条吗", "notice"),
    ("拿出证据来", "notice"), ("有什么证据证明我借了", "notice"),
    ("这个罚息我不认", "notice"), ("罚息太高了", "notice"),
    ("我根本没在你们这借过", "notice"), ("我什么时候借过钱？你们是谁", "notice"),
    ("不对，我借的是两千不是五千", "confirm"), ("不对，我只借了一千", "notice"),
    ("我已经跟你们客服说好了分期，怎么还在催", "notice"), ("你们扣了我两次", "notice"),
])
def test_us16_zh_dispute(text, context):
    assert run(text, context).name == "dispute"


# --- US-12 wrong number: the number changed hands, Cantonese third parties --------------------

@pytest.mark.parametrize("text", [
    "他早就不用这个号了", "他已经很久没用这个号码了", "机主换人了", "原机主已经不用了",
    "佢唔喺度", "我唔識佢", "你搵錯人啦",
])
def test_us12_zh_wrong_number(text):
    assert run(text).name == "wrong_number"


# --- US-27 opt-in from an opted-out number (CN: the customer may resume) ------------------------

@pytest.mark.parametrize("text", ["开始", "開始", "重新开通短信提醒", "重新開通短信提醒", "取消退订",
                                  "我要重新接收短信", "继续接收短信"])
def test_us27_zh_opt_in(text):
    assert run(text, "opted_out").name == "start"


@pytest.mark.parametrize("text, intent", [("开始还款", "pay"), ("我要开始还钱", "pay")])
def test_zh_start_guards(text, intent):
    assert run(text).name == intent


# --- paid already, balance, pay, plan, promise, who, verify ---------------------------------------

@pytest.mark.parametrize("text, context, intent, amount, date", [
    ("已经自动扣款了", "notice", "paid_already", None, None), ("already 还了", "notice", "paid_already", None, None),
    ("已经pay了", "notice", "paid_already", None, None), ("款已经扣了", "notice", "paid_already", None, None),
    ("银行已经扣款了", "notice", "paid_already", None, None), ("已经自动还款了", "notice", "paid_already", None, None),
    ("剩多少没还", "notice", "balance", None, None), ("利息多少", "notice", "balance", None, None),
    ("可以用微信还吗", "notice", "pay", None, None), ("今天还清", "notice", "pay", None, "2026-11-30"),
    ("一个月两千", "notice", "plan", "2000", None), ("能不能停止收利息", "notice", "plan", None, None),
    ("停车呢，晚点还", "notice", "promise", None, None), ("明年一月份", "ask_date", "promise", None, None),
    ("一月份还", "notice", "promise", None, None), ("今天晚上还", "notice", "promise", None, "2026-11-30"),
    ("这是什么短信", "notice", "who_is_this", None, None), ("对，是本人", "verify", "affirm", None, None),
])
def test_zh_money_and_context_intents(text, context, intent, amount, date):
    it = run(text, context)
    assert it.name == intent
    assert it.entities.amount == (Decimal(amount) if amount else None)
    assert it.entities.date == (dt.date.fromisoformat(date) if date else None)


# --- guards: right before these fixes and must stay right (the new words must not spill) ---

@pytest.mark.parametrize("text, context, intent, channel", [
    ("停止傳送訊息", "notice", "stop", "sms"), ("唔該停止發送短訊", "notice", "stop", "sms"),
    ("这个违约金我不认", "notice", "dispute", None), ("滞纳金凭什么收", "notice", "dispute", None),
    ("我从来没有在你们平台借过钱", "notice", "dispute", None), ("他欠钱关我什么事", "notice", "wrong_number", None),
    ("开通短信提醒", "opted_out", "start", None), ("我要投诉", "notice", "dispute", None),
    ("我不会还的", "notice", "stop", "all"), ("不要打电话，我现在就还", "notice", "stop", "voice"),
])
def test_zh2_guards(text, context, intent, channel):
    it = run(text, context)
    assert (it.name, it.entities.channel) == (intent, channel)
