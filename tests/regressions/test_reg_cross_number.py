"""Protections kept per (customer, our_number) conversation leak across Duly's numbers.

1. G-01: after "talk to a person" on +15555550100 an agent owns the customer, yet the
   same customer texting +15555550200 gets bot collection replies (balance).
2. US-12: after "wrong number" the phone's Phone rows are quarantined, but an account
   linked to the phone later (next import) is not; a text to another of our numbers then
   gets that account's debt detail. Expected: a number reported wrong gets no debt
   detail until a person clears it.
"""
from __future__ import annotations

from tests.regressions.support import ACCOUNTS
from tests.live import Duly, replies_in

A, B = "+15555550100", "+15555550200"


def test_agent_owned_customer_gets_no_bot_text_on_other_number(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi", frm="+15555550102", to=A)
        d.sms("I want to talk to a person", frm="+15555550102", to=A)
        assert d.conversation("+15555550102")["flags"]
        got = replies_in(d.sms("balance", frm="+15555550102", to=B).text)
        assert got == [], f"bot text while an agent owns the customer: {got}"


def test_wrong_number_stays_quarantined_for_newly_linked_account(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)
        d.sms("hi", to=A)
        d.sms("wrong number", to=A)
        d.import_accounts("account_ref,name,phone,balance,days_past_due,past_due,language,creditor\n"
                          "ACC-0009,Alice Smith,+15555550101,999.00,30,333.00,en,New Bank\n")
        got = replies_in(d.sms("hi", to=B).text)
        text = " ".join(got)
        assert "$333.00" not in text and "New Bank" not in text, got
