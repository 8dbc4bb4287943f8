"""A/B variants end to end: each new conversation draws a variant by weight and keeps it;
the text it gets and the metadata on the message say which; the results group by it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import dialogs
from runner.results import results
from storage import scripts as store
from storage.models import Message
from tests.live import Duly, replies_in
from tests.test_console_scripts import TWO

VARIANT_B = '''
[templates.help.variants.B]
weight = 1
en = "Questions? Call {{ contact }} any weekday. Reply STOP to opt out."
zh = "有疑问？请在工作日致电{{ contact }}。回复“退订”停止接收短信。"
'''


def test_each_conversation_keeps_its_variant(db_url):
    with Duly(db_url) as duly:
        assert duly.import_accounts(TWO).errors == []
        body = dialogs.default_script_text().replace(
            "[templates.help]\n", "[templates.help]\nweight = 1\n", 1) + VARIANT_B
        assert dialogs.validate(body) == []
        with duly.services.sessions() as s, s.begin():
            store.publish(s, "default", body, by="test")
        draws = iter([0.2, 0.7])                       # Dana: A (below 0.5), Sam: B
        duly.services.runner.random = lambda: next(draws)
        dana = [replies_in(duly.sms("help").text)[0] for _ in range(3)]
        sam = [replies_in(duly.sms("help", frm="+15555550105").text)[0] for _ in range(3)]
        assert len(set(dana)) == 1 and "for help contact" in dana[0]
        assert len(set(sam)) == 1 and sam[0].startswith("Questions? Call")
        with duly.services.sessions() as s:
            metas = s.scalars(select(Message.params).where(Message.direction == "outbound")).all()
            assert sorted({(m["template"], m["variant"], m["revision"]) for m in metas if m}) == [
                ("help", "A", 2), ("help", "B", 2)]
            rows = results(s, duly.clock() - dt.timedelta(days=1), duly.clock() + dt.timedelta(days=1))
        by_variant = {(r.template, r.variant): r.created for r in rows if r.template == "help"}
        assert by_variant == {("help", "A"): 3, ("help", "B"): 3}
