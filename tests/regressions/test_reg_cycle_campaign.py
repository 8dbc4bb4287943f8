"""rev3 findings in cadence planning (runner.campaign.plan)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Account, Message
from tests.test_campaign import SETTINGS, add, seed, sends
from runner.campaign import plan
from storage.models import CadenceSend  # noqa: F401

UTC = dt.timezone.utc


def test_CN_03_a_deferred_step_and_the_next_step_are_not_both_left_to_go_at_0800(session_factory):
    """CN account 14 DPD at 22:00 Beijing: dpd7 is queued and deferred (CN-01) to 08:00.
    At 00:00 Beijing (DPD 15) the planner queues dpd15 too; both then go at 08:00 in the
    same second (seen in the operator run: two texts to +8613800138000 at 2026-12-02T00:00Z)."""
    seed(session_factory)
    t1 = dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)    # 22:00 Beijing
    with session_factory() as s, s.begin():
        a = add(s, "CN1", None, tz="Asia/Shanghai", profile="cn", currency="CNY", lang="zh")
        a.delinquent_since = dt.date(2026, 11, 17)      # DPD 14 at t1, 15 from Beijing midnight
    plan(session_factory, SETTINGS, t1)
    plan(session_factory, SETTINGS, t1 + dt.timedelta(hours=2, minutes=30))   # 00:30 Beijing
    with session_factory() as s:
        live = s.scalars(select(Message.id).join(Account, Account.id == Message.account_id)
                         .where(Account.account_ref == "CN1",
                                Message.status.in_(("pending", "deferred")))).all()
    assert len(live) <= 1, (sends(session_factory), live)


def test_CN_05_cadence_text_names_the_profile_contact_not_the_us_number(session_factory):
    """config.toml: [profiles.cn] contact = "400-820-0199" ("how customers of this profile
    reach the creditor"); the campaign renders the global creditor_contact 800-555-0199."""
    seed(session_factory)
    now = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)    # 10:00 Beijing
    with session_factory() as s, s.begin():
        add(s, "CN2", 7, tz="Asia/Shanghai", profile="cn", currency="CNY", lang="zh")
        add(s, "UK2", 7, tz="Europe/London", profile="uk", currency="GBP")
    plan(session_factory, SETTINGS, now)
    with session_factory() as s:
        bodies = dict(s.execute(select(Account.account_ref, Message.body)
                                .join(Account, Account.id == Message.account_id)).all())
    assert "400-820-0199" in bodies["CN2"], bodies["CN2"]
    assert "0800 555 0199" in bodies["UK2"], bodies["UK2"]


def test_G_02_no_blank_creditor_and_no_invented_minimum_due(session_factory):
    """An account imported without `creditor` and `minimum_due` (both optional in the CSV)
    is texted "Hi Ann Lee, this is . ... (minimum due $0.00)": the sender is not named and
    a $0.00 minimum due is stated that the ledger never gave."""
    seed(session_factory)
    now = dt.datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    with session_factory() as s, s.begin():
        a = add(s, "NOCRED", 1, creditor=None)
        a.minimum_due_minor = 0   # what the import stores when the CSV has no minimum_due
    plan(session_factory, SETTINGS, now)
    with session_factory() as s:
        body = s.scalar(select(Message.body).join(Account, Account.id == Message.account_id)
                        .where(Account.account_ref == "NOCRED"))
    assert "this is ." not in body and ",  here" not in body, body
    assert "minimum due $0.00" not in body, body


def test_US_10_dry_run_shows_the_no_consent_account_as_held(session_factory):
    """`duly campaign run --dry-run` printed "would queue NC1 dpd7" for an account with no
    consent record; the real run then printed "held NC1 dpd7 US-10"."""
    seed(session_factory)
    now = dt.datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    with session_factory() as s, s.begin():
        add(s, "NC1", 7, consent=False)
    dry = plan(session_factory, SETTINGS, now, dry_run=True)
    real = plan(session_factory, SETTINGS, now)
    assert [(i.status, i.rule) for i in real.items] == [("held", "US-10")]
    assert [(i.status, i.rule) for i in dry.items] == [("held", "US-10")]
