"""Attack findings on the US-17 cease / held-START change (41656d3, 640b26b), each failing before its fix: F1 the after-hours "a person will reply" under a silencing hold; F2 a ceased customer asking for a person reached nobody; F3 a hold on the other account of the phone; F4 a script placeholder in cease_acknowledgement lost the cease; F5 provider keyword mode hid the held-START answer."""
from __future__ import annotations
import datetime as dt
import pytest
from sqlalchemy import select
from storage.models import Account, Conversation, Handoff, Hold, Message, OptOut
from tests.live import Clock, Duly, replies_in

ACCOUNTS = """account_ref,name,phone,balance,days_past_due,past_due,minimum_due,currency,timezone,language,creditor,profile
ACME-4417,Dana Whitfield,(555) 555-0101,1250.00,12,312.50,75.00,USD,America/New_York,en,Northwind Card,us_first_party
"""
TWO = ACCOUNTS + "ACME-9001,Dana Whitfield,(555) 555-0101,800.00,12,200.00,50.00,USD,America/New_York,en,Southwind Bank,us_first_party\n"
DANA = "+15555550101"
SATURDAY_10_NY = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.timezone.utc)   # agents off shift


def say(duly, text):
    r = duly.sms(text, frm=DANA)
    assert r.status_code == 200, r.text
    return replies_in(r.text)


def conv_id(duly):
    with duly.services.sessions() as s:
        return s.scalar(select(Conversation.id).where(Conversation.customer_phone == DANA))


def test_F1_after_hours_notice_promises_a_person_will_reply_under_attorney_hold(db_url):
    with Duly(db_url, clock=Clock(SATURDAY_10_NY)) as duly:
        duly.import_accounts(ACCOUNTS, today=SATURDAY_10_NY.date())
        say(duly, "hi")
        say(duly, "my attorney is handling this")
        duly.services.runner.agent_action(conv_id(duly), "hand_back", "a@x.com")
        # US-18: the consumer is represented; a person may not text them (the gate refuses an agent's text)
        assert say(duly, "I want to pay now") == []      # actual: ['Our team is away right now. A person will reply from Mon Dec 7 08:00 EST.']


def test_F1b_after_hours_notice_after_START_under_cease(db_url):
    with Duly(db_url, clock=Clock(SATURDAY_10_NY)) as duly:
        duly.import_accounts(ACCOUNTS, today=SATURDAY_10_NY.date())
        say(duly, "hi")
        say(duly, "I'm not paying, stop contacting me")
        out = say(duly, "START")
        assert not any("A person will reply" in t for t in out), out


def test_F2_cease_then_asking_for_a_person_reaches_nobody(db_url):
    with Duly(db_url) as duly:
        duly.import_accounts(ACCOUNTS)
        say(duly, "hi")
        say(duly, "I'm not paying, stop contacting me")
        say(duly, "actually I want to talk to a person about paying")
        with duly.services.sessions() as s:
            assert s.scalars(select(Handoff.reason)).all() != []   # actual: [] (G-01; CHANGELOG: "any message under such a hold goes to a person")


def test_F3_hold_on_the_other_account_START_says_subscribed_and_replies_vanish(db_url):
    with Duly(db_url) as duly:
        duly.import_accounts(TWO)
        say(duly, "hi")
        say(duly, "2")                                   # Southwind (ACME-9001) chosen
        say(duly, "STOP")
        with duly.services.sessions() as s, s.begin():   # the loan system: cease on ACME-4417 only
            a = s.scalar(select(Account.id).where(Account.account_ref == "ACME-4417"))
            s.add(Hold(account_id=a, kind="cease", rule="US-17", created_at=duly.clock(), source="api"))
        duly.clock.advance(minutes=1)
        start = say(duly, "START")
        assert start != ["You're subscribed to texts from us again. Reply HELP for help, STOP to opt out."]
        assert say(duly, "pay") == []                    # gate refuses the pay link (phone-wide cease)...
        with duly.services.sessions() as s:              # ...and nobody is told
            assert s.scalars(select(Handoff.reason)).all() == ["hold_review"]   # actual: []


def test_F4_cease_acknowledgement_with_creditor_placeholder_loses_the_cease(db_url):
    from bot import dialogs
    from storage import scripts as store
    base = dialogs.default_script_text()
    start = base.index("[templates.cease_acknowledgement]")
    end = base.index("\n[", start + 1)
    body = base[:start] + ('[templates.cease_acknowledgement]\n'
                           'en = "{{ creditor }}: we will stop contacting you. Questions: {{ contact }}"\n'
                           'zh = "{{ creditor }}：我们将不再联系您。"\n') + base[end + 1:]
    with Duly(db_url) as duly:
        duly.import_accounts(ACCOUNTS)
        assert dialogs.validate(body, duly.settings.behaviour["profiles"]) == []   # publishable
        with duly.services.sessions() as s, s.begin():
            store.publish(s, "default", body, by="admin:ann@example.com")
        say(duly, "hi")
        say(duly, "I'm not paying, stop contacting me")
        with duly.services.sessions() as s:
            holds = s.scalars(select(Hold.kind).where(Hold.cleared_at.is_(None))).all()
            channels = sorted(s.scalars(select(OptOut.channel).where(OptOut.revoked_at.is_(None))).all())
        assert holds == ["cease"], holds                 # actual: [] (TemplateError -> fail-safe: sms opt-out only)
        assert channels == ["email", "sms", "voice"], channels


def test_F5_provider_mode_START_under_cease_gets_only_the_carrier_resubscribed_text(db_url):
    env = dict(SMS_TRANSPORT="twilio", TWILIO_ACCOUNT_SID="AC" + "a1" * 16, TWILIO_FROM="+15555550100")
    with Duly(db_url, **env) as duly:
        assert duly.settings.keyword_replies == "provider"     # the shipped default
        duly.import_accounts(ACCOUNTS)
        say(duly, "hi")
        say(duly, "I'm not paying, stop contacting me")
        out = say(duly, "START")   # Twilio itself answers "You have successfully been re-subscribed..."
        assert any("won't text you about your account" in t for t in out), out   # actual: []
