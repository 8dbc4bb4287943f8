"""Chinese (and mixed Chinese-English) replies the red-team probe got wrong, and their
neighbours. Dates resolve against Monday 2026-11-30 10:00 Asia/Shanghai."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.intents import interpret

SH = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(SH))


def run(text, context="notice", **kw):
    return interpret(text, context=context, now=NOW, tz=SH, **kw)


# --- US-06 opt-outs the lexicon missed (certain: at or above the threshold) ----------------

@pytest.mark.parametrize("text, channel", [
    # formal "do not" (勿), 停发, "don't send any more", delete my number
    ("请勿发送", "sms"), ("请勿再发", "sms"), ("勿扰", "all"), ("请勿打扰", "all"), ("请勿来电", "voice"),
    ("停发", "sms"), ("停发短信", "sms"), ("不要再来信息了", "sms"), ("不用再发了", "sms"),
    ("不需要再发短信了", "sms"), ("无需再发送", "sms"), ("把我的号码删了", "sms"), ("删掉我的号码", "sms"),
    ("把我从你们的名单里删掉", "sms"), ("拒绝接收短信", "sms"), ("不接收短信", "sms"),
    # mixed Chinese-English
    ("别再text我了", "sms"), ("不要再text我", "sms"), ("别sms我了", "sms"),
    ("stop 别打电话了", "voice"), ("别再call我", "voice"),
    # traditional characters and Cantonese
    ("退訂", "sms"), ("別再發了", "sms"), ("不要再傳簡訊給我", "sms"), ("請勿再發", "sms"), ("唔好再打嚟", "voice"),
    # colloquial
    ("再打电话我就投诉", "voice"), ("别来烦我", "all"), ("离我远点", "all"), ("别再找我了", "all"),
])
def test_us06_zh_opt_out_missed(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)
    assert it.confidence >= 0.75


# --- US-05 per medium / US-17 cease: the channel a Chinese stop covers ---------------------

@pytest.mark.parametrize("text, channel", [
    ("不要再联系我了", "all"), ("以后不要联系我", "all"), ("别再联系我", "all"), ("别再联系了", "all"),
    ("请不要再打扰我和我的家人", "all"),
    ("别再打电话了", "voice"), ("不要再给我打电话了", "voice"), ("不要给我打电话", "voice"), ("别打了", "voice"),
    ("电话别打了", "voice"), ("不要再打过来了", "voice"), ("别再来电话了", "voice"), ("不想再接到你们的电话", "voice"),
    # "stop calling, texting is fine": voice only, texts go on
    ("别打电话了，发短信就行", "voice"), ("短信可以，别打电话", "voice"), ("不要打电话，有事发短信", "voice"),
    ("不要打电话也不要发短信", "sms+voice"), ("别发邮件了", "email"), ("不要给我发邮件也不要打电话", "voice+email"),
])
def test_us05_us17_zh_stop_channel(text, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", channel)


@pytest.mark.parametrize("text", ["我拒绝还款", "一分钱都不会还", "我是不会还的", "老子就是不还"])
def test_us17_zh_refusal_to_pay_is_a_cease(text):
    it = run(text)
    assert (it.name, it.entities.channel) == ("stop", "all")


@pytest.mark.parametrize("text", ["打住", "有完没完", "有完没完啊", "烦不烦", "够了没有", "走开", "别催了"])
def test_us06_zh_possible_opt_out_is_unsure_stop(text):
    it = run(text)
    assert it.name == "stop" and it.confidence < 0.75  # pause and hand off (US-06 safe default)


@pytest.mark.parametrize("text, intent", [
    ("不要联系我的家人", "unknown"), ("别打扰我父母", "unknown"), ("不要打电话给我家人", "unknown"),  # CN-02 third parties
    ("公司停发工资了", "hardship"), ("不要发链接，告诉我账号", "pay"), ("不要停止我的分期", "unknown"),
])
def test_zh_not_an_opt_out(text, intent):
    assert run(text).name == intent


# --- UK-07 self-harm and hardship; US-12 third party; US-16 dispute; bankruptcy ----------

@pytest.mark.parametrize("text", ["不想活了", "我想自杀", "活不下去了", "想死的心都有了", "我不想活了"])
def test_uk07_zh_self_harm_is_hardship_and_escalates(text):
    from bot.dialogs.engine import _SELF_HARM, _VULNERABLE
    assert run(text).name == "hardship"
    assert _SELF_HARM.search(text) and _VULNERABLE.search(text)  # priority-1 handoff in the engine


@pytest.mark.parametrize("text", ["下岗了", "我得了癌症在化疗", "手头有点紧", "我怀孕了没法上班", "找不到工作"])
def test_uk07_zh_hardship(text):
    assert run(text).name == "hardship"


@pytest.mark.parametrize("text", ["我只是他同事", "他欠钱关我什么事", "我只是她邻居", "他的债跟我没关系", "你找他去"])
def test_us12_zh_third_party_is_wrong_number(text):
    assert run(text).name == "wrong_number"


@pytest.mark.parametrize("text", [
    "我对这笔账有异议", "这笔账我不认", "金额有问题，利息算得不对", "我没有欠款", "我根本没有这张卡",
    "账单金额跟我算的不一样", "我不认可这个金额",
])
def test_us16_zh_dispute(text):
    assert run(text).name == "dispute"


@pytest.mark.parametrize("text, intent", [
    ("我已经在法院申请了个人破产", "bankruptcy"), ("在法院办了破产", "bankruptcy"), ("bankrupt了", "bankruptcy"),
    ("我有lawyer了", "attorney"),
])
def test_us18_zh_bankruptcy_vs_court(text, intent):
    assert run(text).name == intent


# --- dates: holidays, "wait n days" -----------------------------------------------------

@pytest.mark.parametrize("text, context, date", [
    ("元旦", "ask_date", "2027-01-01"), ("元旦前还", "notice", "2027-01-01"), ("圣诞节还", "notice", "2026-12-25"),
    ("春节前还", "notice", "2027-02-06"), ("过年前还清", "notice", "2027-02-06"), ("除夕前还", "notice", "2027-02-05"),
    ("中秋节还", "notice", "2027-09-15"), ("端午还", "notice", "2027-06-09"), ("国庆前还", "notice", "2027-10-01"),
    ("五一前还", "notice", "2027-05-01"), ("双十二还", "notice", "2026-12-12"),
    ("等我三天", "notice", "2026-12-03"), ("再等我两周", "notice", "2026-12-14"),
])
def test_zh_holiday_and_wait_promise(text, context, date):
    it = run(text, context)
    assert it.name == "promise" and it.entities.date == dt.date.fromisoformat(date)


@pytest.mark.parametrize("text", ["过完年再还", "十一长假后还"])
def test_zh_after_holiday_is_a_promise_without_a_day(text):
    it = run(text)
    assert it.name == "promise" and it.entities.date is None


# --- paying, plans, choices, yes/no ------------------------------------------------------

@pytest.mark.parametrize("text, intent, amount", [
    ("一会儿就还", "pay", None), ("马上转", "pay", None), ("一次性还清", "pay", None), ("还两千块", "pay", "2000"),
    ("每月500", "plan", "500"), ("每个月一千", "plan", "1000"), ("500一个月", "plan", "500"),
    ("再给我一周时间", "plan", None), ("都太高了", "plan", None), ("可以分期吗，每期还多少", "plan", None),
    ("回头还你", "promise", None), ("我停车呢，等会还", "promise", None), ("还了", "paid_already", None),
    ("我还欠你们多少", "balance", None), ("这是哪里", "who_is_this", None),
])
def test_zh_money_intents(text, intent, amount):
    it = run(text)
    assert it.name == intent
    if amount:
        assert it.entities.amount == Decimal(amount)


@pytest.mark.parametrize("text, context, intent, option", [
    ("我选第三个", "plan_offer", "choice", 3), ("就第二个吧", "plan_offer", "choice", 2),
    ("都不行", "plan_offer", "deny", None),
    ("好的 thanks", "confirm", "affirm", None), ("没错", "confirm", "affirm", None), ("我是", "verify", "affirm", None),
    ("不对", "confirm", "deny", None),
    ("一半", "ask_amount", "plan", None), ("全部", "ask_amount", "pay", None),
])
def test_zh_context_answers(text, context, intent, option):
    it = run(text, context)
    assert it.name == intent and it.entities.option == option


# --- guards: right before these fixes and must stay right (the new words must not spill) ---

@pytest.mark.parametrize("text, intent, channel", [
    ("别再发sms了", "stop", "sms"), ("stop 别发了", "stop", "sms"), ("烦死了别发了", "stop", "sms"), ("已拉黑", "stop", "sms"),
    ("滚，别发了", "stop", "sms"), ("我要投诉你们，别再发了", "stop", "sms"), ("别再发短信骚扰我了", "stop", "sms"),
    ("滚", "abuse", None), ("投诉你们", "dispute", None),  # corpus: 滚 is abuse, 我要投诉 a dispute
    ("打电话给我", "agent", None), ("给我打个电话", "agent", None), ("可以发短信给我", "start", None),
    ("不用发链接了我自己还", "pay", None), ("我不是不还，是真的没钱", "hardship", None), ("我不会还不上的", "hardship", None),
    ("我的律师在处理破产", "attorney", None), ("法院见", "attorney", None),  # US-18: a lawyer or court wins without 破产
    ("春节后还", "promise", None), ("十一号还", "promise", None),
])
def test_zh_guards(text, intent, channel):
    it = run(text)
    assert (it.name, it.entities.channel) == (intent, channel)
