"""A phone shared by two accounts: any 4+ digit number in a message whose last four digits
equal an account ref's last four selects that account, without the customer choosing.
"I can pay 1250 friday" on a phone shared by ACC-1250 (Dan) and ACC-7777 (Eve) sends
Dan's name, creditor and past-due amount — to whoever holds the phone — and drops the
promise. Expected: before an explicit choice (in choose_account) no debt detail goes
out; an amount is not an account choice.
"""
from __future__ import annotations

from tests.live import Duly, replies_in

SHARED = """account_ref,name,phone,balance,days_past_due,past_due,language,creditor
ACC-1250,Dan X,+15555550104,700.00,30,300.00,en,Acme Bank
ACC-7777,Eve X,+15555550104,650.00,30,222.00,en,Zeta Loans
"""


def test_amount_is_not_an_account_choice(db_url):
    with Duly(db_url) as d:
        d.import_accounts(SHARED)
        first = replies_in(d.sms("I can pay 1250 friday", frm="+15555550104").text)
        text = " ".join(first)
        assert "Dan" not in text and "$300.00" not in text, first


def test_zip_code_is_not_an_account_choice(db_url):
    with Duly(db_url) as d:
        d.import_accounts(SHARED)
        d.sms("hi", frm="+15555550104")                   # "which account?"
        got = replies_in(d.sms("my zip is 11250, who is this?", frm="+15555550104").text)
        text = " ".join(got)
        assert "Dan" not in text and "$300.00" not in text, got
