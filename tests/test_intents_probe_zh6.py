"""Chinese (simplified, traditional, Cantonese, mixed) intents from the sixth red-team probe
(see CHANGELOG): 216 replies, read against the corpus clock in New York
(tests/intents_probe_support.py). Before the fixes 156/216 (72%) passed; after, 216/216.
Three held-out rounds were written after the first fixes: 11 rows (3/11 passed before any
fix, 9/11 after the first round), 9 compliance rows (9/9) and 9 rows in other contexts (3/9
before any fix). Rows marked ``!x`` must not read as x.

Fault kinds found and fixed:
* A refused day (周五不行, 这周五还不了, 15号还不了, 禮拜五唔得, 聽日還唔到) was a promise for that day:
  can't-pay words are hardship (as "I can't pay friday"), a declined day a no in the confirm
  state; a later clause with another day (周五不行，下周一可以) is the promise for it (the entity
  date too). Questions (可不可以周五还, 周五不行吗) are not refusals; 周五之前还不了 is a deadline.
* Plans on offer: a plan refused by number (不要第二个, 第一个太贵了, 第二個唔要) was chosen; with
  another plan named in its own clause (不选第一个，选第三个, 方案2不行，方案1吧) that one is.
* A death report naming the person (张伟已经去世了, 我老公李明上周去世了, 陳大文上個月過咗身, 佢已經過身了,
  她已经不在人世了) was hardship, a wrong number or unknown/no rule: the death report. Without a
  name (我老公去世了, 我孙子去世了) it stays the customer's own loss (hardship).
* False opt-outs: 工资停发了 (wages stopped: hardship) and 我不退订 / 不用退订 (a negated keyword).
* 这个不是我的号码 was a dispute: a wrong number (这不是我的 alone stays a dispute).
* ask_amount: a refused amount (三百不行) was a promise of it; 两百不行，一百五吧 is 150.

Decisions: 能不能这周五先还300 (先还: a part first) is a plan, as the corpus reads 先还; 我是他女儿，
他得了老年痴呆 stays a wrong number (US-12, a person reviews it).
"""

from __future__ import annotations

import pytest

from bot.intents import interpret
from bot.types import DECEASED_REPORT_RULE
from tests.intents_probe_support import NOW_NY, NY, check

ROWS = [
    # --- 去世: a named person or the holder
    ('张伟已经去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('李明上个月过世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('我老公李明上周去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('王芳过世了，我是她女儿', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('机主已经去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('他上个月去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('她已经不在人世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('陳大文上個月過咗身', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('佢已經過身了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('張偉已經去世', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    # --- guards
    ('我老公去世了', 'notice', 'hardship', {}),
    ('手机没电了，明天还', 'notice', 'promise', {"date": "2026-12-01"}),
    ('我妈去世了，这个月还不上', 'notice', 'hardship', {}),
    # --- refused day
    ('周五不行', 'notice', '!promise', {}),
    ('周五不行', 'confirm', 'deny', {}),
    ('这周五还不了', 'notice', '!promise', {}),
    ('这周五还不了', 'confirm', 'hardship', {}),
    ('周五还不上', 'notice', '!promise', {}),
    ('周五没办法还', 'notice', '!promise', {}),
    ('礼拜五不行', 'confirm', 'deny', {}),
    ('星期五还不了钱', 'ask_date', '!promise', {}),
    ('明天不行', 'confirm', 'deny', {}),
    ('明天还不了', 'ask_date', '!promise', {}),
    ('15号还不了', 'notice', '!promise', {}),
    ('周五可能不行', 'confirm', '!promise', {}),
    ('周五恐怕还不了', 'notice', '!promise', {}),
    ('周五不方便', 'confirm', 'deny', {}),
    ('禮拜五唔得', 'confirm', 'deny', {}),
    ('禮拜五還唔到', 'notice', '!promise', {}),
    ('聽日還唔到', 'notice', '!promise', {}),
    ('周五不行，下周一可以', 'confirm', 'promise', {"date": "2026-12-07"}),
    ('周五还不了，下周一还', 'notice', 'promise', {"date": "2026-12-07"}),
    ('周五还', 'notice', 'promise', {"date": "2026-12-04"}),
    ('周五之前肯定还', 'notice', 'promise', {"date": "2026-12-04"}),
    ('周五可以', 'confirm', '!deny', {}),
    # --- plan choice with a refusal
    ('不要第二个', 'plan_offer', '!choice', {}),
    ('第二个不行', 'plan_offer', '!choice', {}),
    ('不选第一个，选第三个', 'plan_offer', 'choice', {"option": 3}),
    ('第二个吧', 'plan_offer', 'choice', {"option": 2}),
    ('第一个太贵了', 'plan_offer', '!choice', {}),
    ('三个都不行', 'plan_offer', '!choice', {}),
    ('都不要', 'plan_offer', '!choice', {}),
    ('不要方案二', 'plan_offer', '!choice', {}),
    ('方案2不行，方案1吧', 'plan_offer', 'choice', {"option": 1}),
    ('我选第三个', 'plan_offer', 'choice', {"option": 3}),
    ('第二個唔要', 'plan_offer', '!choice', {}),
    # --- amounts with currency words
    ('五十块周五还', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('周五还¥50', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('50元 明天还', 'notice', 'promise', {"amount": "50", "date": "2026-12-01"}),
    ('下周一还五百', 'notice', 'promise', {"amount": "500", "date": "2026-12-07"}),
    ('能不能这周五先还300', 'notice', 'plan', {"amount": "300", "date": "2026-12-04"}),
    ('一千二月底还', 'notice', 'promise', {"amount": "1200"}),
    ('明天还一百五', 'notice', 'promise', {"amount": "150", "date": "2026-12-01"}),
    ('周五还两千块钱', 'notice', 'promise', {"amount": "2000", "date": "2026-12-04"}),
    ('人民币500元，下周五还', 'notice', 'promise', {"amount": "500"}),
    ('五百', 'ask_amount', 'promise', {"amount": "500"}),
    ('三百块', 'ask_amount', 'promise', {"amount": "300"}),
    ('大概两百吧', 'ask_amount', 'promise', {"amount": "200"}),
    # --- opt-outs embedded
    ('我知道欠钱，但是别再给我发短信了', 'notice', 'stop', {"certain": True, "channel": "sms"}),
    ('你们烦不烦啊，不要再发了', 'notice', 'stop', {"certain": True}),
    ('把我的号码删掉', 'notice', 'stop', {}),
    ('以后别联系我了', 'notice', 'stop', {"certain": True, "channel": "all"}),
    ('我会还的，你们别再发短信了', 'notice', 'stop', {"certain": True, "channel": "sms"}),
    ('再发短信我就报警', 'notice', 'stop', {}),
    ('别再打电话了，烦死了', 'notice', 'stop', {"channel": "voice"}),
    ('不要再骚扰我了', 'notice', 'stop', {"certain": True}),
    ('唔該唔好再send短訊俾我', 'notice', 'stop', {}),
    ('唔好再打俾我', 'notice', 'stop', {}),
    ('pls 别再发了', 'notice', 'stop', {"certain": True}),
    ('退订谢谢', 'confirm', 'stop', {"certain": True}),
    ('别发了', 'plan_offer', 'stop', {"certain": True}),
    ('取消订阅', 'notice', 'stop', {}),
    ('我不想再收到你们的信息', 'notice', 'stop', {}),
    # --- not opt-outs
    ('不要停我的自动扣款', 'notice', '!stop', {}),
    ('工资停发了，还不了', 'notice', 'hardship', {}),
    ('我已经停工两个月了', 'notice', 'hardship', {}),
    ('不要取消我的分期', 'notice', '!stop', {}),
    ('退款什么时候到', 'notice', '!stop', {}),
    ('我不退订，我要还款', 'notice', '!stop', {}),
    ('月底还', 'notice', 'promise', {}),
    ('停车场没找到，先不说了，周五还', 'notice', 'promise', {"date": "2026-12-04"}),
    # --- third parties
    ('我是他儿子', 'notice', 'wrong_number', {}),
    ('我是他老婆，他不在', 'notice', 'wrong_number', {}),
    ('他已经不用这个号码了', 'notice', 'wrong_number', {}),
    ('我是她律师', 'notice', 'attorney', {}),
    ('我是他女儿，他得了老年痴呆', 'notice', 'wrong_number', {}),
    # --- anger, refusal
    ('就是不还，你能怎样', 'notice', 'stop', {"channel": "all"}),
    ('一分钱都不会给你们', 'notice', 'stop', {"channel": "all"}),
    ('老子不还了', 'notice', 'stop', {"channel": "all"}),
    ('去死吧', 'notice', 'abuse', {}),
    ('神经病', 'notice', 'abuse', {}),
    ('有病吧你们', 'notice', 'abuse', {}),
    # --- dates
    ('发工资那天还', 'notice', 'promise', {}),
    ('出粮先还', 'notice', 'promise', {}),
    ('月底前还清', 'notice', 'promise', {}),
    ('下个月初还', 'notice', 'promise', {}),
    ('过完年再还', 'notice', 'promise', {}),
    ('十五号发工资就还', 'notice', 'promise', {"date": "2026-12-15"}),
    ('下周三之前还', 'notice', 'promise', {"date": "2026-12-09"}),
    ('等我发了工资就还', 'notice', 'promise', {}),
    ('下下周一还', 'notice', 'promise', {"date": "2026-12-14"}),
    ('月尾還', 'notice', 'promise', {}),
    ('聽日還', 'notice', 'promise', {"date": "2026-12-01"}),
    ('后天', 'ask_date', 'promise', {"date": "2026-12-02"}),
    # --- compliance
    ('我已经请了律师', 'notice', 'attorney', {}),
    ('你找我律师谈', 'notice', 'attorney', {}),
    ('我申请个人破产了', 'notice', 'bankruptcy', {}),
    ('这笔钱不是我借的', 'notice', 'dispute', {}),
    ('金额不对', 'notice', 'dispute', {}),
    ('我上周已经还了', 'notice', 'paid_already', {}),
    ('我失业了，真的没钱', 'notice', 'hardship', {}),
    ('我在住院', 'notice', 'hardship', {}),
    ('我不想活了', 'notice', 'hardship', {}),
    ('找人工', 'notice', 'agent', {}),
    ('你们是谁', 'notice', 'who_is_this', {}),
    ('还差多少', 'notice', 'balance', {}),
    ('呢個唔係我嘅數', 'notice', 'dispute', {}),
    ('我冇錢還', 'notice', 'hardship', {}),
    ('打錯', 'notice', 'wrong_number', {}),
    ('我已經還咗', 'notice', 'paid_already', {}),
    # --- mixed
    ('ok 我周五还50', 'notice', 'promise', {"amount": "50", "date": "2026-12-04"}),
    ('sorry 周五不行', 'confirm', 'deny', {}),
    ('我 lost my job 还不了', 'notice', 'hardship', {}),
    ('我 friday 还 100 块', 'notice', 'promise', {"amount": "100", "date": "2026-12-04"}),
    ('刘强去年就去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('我丈夫王建国上个月病逝了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('黄先生已经过世', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('我孙子去世了', 'notice', 'hardship', {}),
    ('我爸爸去世了', 'notice', 'hardship', {}),
    ('周五手机没电了', 'notice', '!deceased', {}),
    ('明天不方便', 'confirm', 'deny', {}),
    ('下周一不行', 'confirm', 'deny', {}),
    ('后天还不上', 'notice', 'hardship', {}),
    ('这个月还不了', 'notice', 'hardship', {}),
    ('月底不行', 'confirm', 'deny', {}),
    ('周五不行，周六可以吗', 'confirm', 'promise', {"date": "2026-12-05"}),
    ('周五不行 下周一吧', 'confirm', 'promise', {"date": "2026-12-07"}),
    ('周五之前还不了', 'notice', '!hardship', {}),
    ('周五可以还', 'notice', 'promise', {"date": "2026-12-04"}),
    ('星期五没问题', 'confirm', '!deny', {}),
    ('礼拜五冇问题', 'confirm', '!deny', {}),
    ('第三个不要', 'plan_offer', '!choice', {}),
    ('不要方案1，要方案3', 'plan_offer', 'choice', {"option": 3}),
    ('方案二太长了', 'plan_offer', '!choice', {}),
    ('第一個唔得，第二個得', 'plan_offer', 'choice', {"option": 2}),
    ('选第二个', 'plan_offer', 'choice', {"option": 2}),
    ('我不要退订', 'notice', '!stop', {}),
    ('不用退订，我会还', 'notice', '!stop', {}),
    ('退订', 'notice', 'stop', {"certain": True}),
    ('我要退订', 'notice', 'stop', {"certain": True}),
    ('退订吧，不想再收到', 'notice', 'stop', {"certain": True}),
    ('工资停发两个月了', 'notice', 'hardship', {}),
    ('公司停发工资了，下个月再还', 'notice', '!stop', {}),
    ('停发短信', 'notice', 'stop', {}),
    ('别再发短信骚扰我了，我会自己还的', 'notice', 'stop', {"certain": True}),
    ('你们天天发烦死了，退订', 'notice', 'stop', {"certain": True}),
    ('以后不要给我发信息了谢谢', 'notice', 'stop', {"certain": True}),
    ('我已经说过很多次了，不要再联系我', 'notice', 'stop', {"certain": True, "channel": "all"}),
    ('請唔好再發短訊畀我', 'notice', 'stop', {}),
    ('拜托别再打电话给我了', 'notice', 'stop', {"channel": "voice"}),
    ('停止发送', 'notice', 'stop', {}),
    ('我想停掉自动扣款', 'notice', '!stop', {}),
    ('不要停止我的还款计划', 'notice', '!stop', {}),
    ('退一步说，能不能少还点', 'notice', '!stop', {}),
    ('取消订单', 'notice', '!stop', {}),
    ('这个不是我的号码', 'notice', 'wrong_number', {}),
    ('我是他同事，他不在', 'notice', 'wrong_number', {}),
    ('这是我爸的手机，他住院了', 'notice', '!stop', {}),
    ('下周五还五百块', 'notice', 'promise', {"amount": "500"}),
    ('¥200 明天转给你', 'notice', 'promise', {"amount": "200", "date": "2026-12-01"}),
    ('周五还二百五十元', 'notice', 'promise', {"amount": "250", "date": "2026-12-04"}),
    ('月底前还一千', 'notice', 'promise', {"amount": "1000"}),
    ('下个月发工资还', 'notice', 'promise', {}),
    ('发了工资第一时间还', 'notice', 'promise', {}),
    ('等年终奖下来就还', 'notice', '!stop', {}),
    ('骗子公司', 'notice', 'abuse', {}),
    ('你妈的别烦我', 'notice', 'stop', {}),
    ('我已经还清了', 'notice', 'paid_already', {}),
    ('利息太高了，我不认', 'notice', 'dispute', {}),
    ('我没有借过这笔钱', 'notice', 'dispute', {}),
    ('我失业了，能不能分期', 'notice', '!stop', {}),
    ('我想分期还', 'notice', 'plan', {}),
    ('能不能少还点', 'notice', 'plan', {}),
    ('我现在在医院，没办法还', 'notice', 'hardship', {}),
    ('ok我周五还', 'notice', 'promise', {"date": "2026-12-04"}),
    ('我 can pay 100 下周一', 'notice', 'promise', {"amount": "100", "date": "2026-12-07"}),
    ('stop 发短信', 'notice', 'stop', {}),
    # --- held out: written after the first round of fixes, never tuned on before it (29/33 EN+ZH passed then)
    ('不要第三个方案', 'plan_offer', '!choice', {}),
    ('第一个不行，第二个可以', 'plan_offer', 'choice', {"option": 2}),
    ('周三不行', 'confirm', 'deny', {}),
    ('下周五还不上', 'notice', 'hardship', {}),
    ('下周五还不上，月底可以', 'notice', 'promise', {}),
    ('礼拜六冇问题', 'notice', 'promise', {}),
    ('黄伟明上周过世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('我爸爸刘德上个月去世了', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('我不想退订', 'notice', '!stop', {}),
    ('工资停发了', 'notice', 'hardship', {}),
    ('这个手机号不是我的', 'notice', 'wrong_number', {}),
    # --- held out, round 4 (compliance intents; 36/38 EN+ZH passed before its fixes)
    ('他不用这个号了，别再发了', 'notice', 'stop', {}),
    ('本人已经委托律师处理', 'notice', 'attorney', {}),
    ('我在走破产程序', 'notice', 'bankruptcy', {}),
    ('这钱我早就还了，你们查一下', 'notice', 'paid_already', {}),
    ('金额有问题，我要核实', 'notice', 'dispute', {}),
    ('我老婆住院了，这个月还不了', 'notice', 'hardship', {}),
    ('我不想活了，别再催了', 'notice', '!unknown', {}),
    ('老王上个月走了，这是他的手机', 'notice', 'unknown', {"rule": "unknown.deceased"}),
    ('不要再打电话给我老婆了', 'notice', '!promise', {}),
    # --- held out, round 5 (other contexts; a refused amount)
    ('周五不行，下周三', 'ask_date', 'promise', {"date": "2026-12-09"}),
    ('不要第一个也不要第二个', 'plan_offer', '!choice', {}),
    ('我不要分期', 'plan_offer', '!choice', {}),
    ('五十不行，三十吧', 'ask_amount', 'promise', {"amount": "30"}),
    ('张伟去世了', 'verify', 'unknown', {"rule": "unknown.deceased"}),
    ('停', 'notice', 'stop', {}),
    ('别烦我了行不行', 'notice', 'stop', {}),
    ('三百不行', 'ask_amount', '!promise', {}),
    ('两百不行，一百五吧', 'ask_amount', 'promise', {"amount": "150"}),

]


def _check(text, context, intent, ents):
    """``intent`` as in :func:`tests.intents_probe_support.check`; ``"!a,b"`` means none of them
    (the reply must not be read as a, b — e.g. a refused day never a promise), ``"!deceased"``
    any reading but the death report."""
    if not intent.startswith("!"):
        check(text, context, intent, ents)
        return
    it = interpret(text, context=context, now=NOW_NY, tz=NY)
    if intent == "!deceased":
        assert it.rule != DECEASED_REPORT_RULE, (text, it)
    else:
        assert it.name not in intent[1:].split(","), (text, it)


@pytest.mark.parametrize("text, context, intent, ents", ROWS)
def test_probe6_zh(text, context, intent, ents):
    _check(text, context, intent, ents)
