"""Results per cadence step, template, script revision and variant (the results page).

:func:`results` groups the outbound messages Duly made (``sender`` ``bot`` or ``system``
with a ``template`` in ``Message.params``) that were CREATED in ``[start, end)`` by
``(step, template, revision, variant)``: ``step`` is the cadence step of the
:class:`~storage.models.CadenceSend` pointing at the message, else ``params["step"]``
(``None`` for bot replies and other non-cadence texts); ``revision`` is ``params["revision"]`` (``None`` when
missing) and ``variant`` is ``params["variant"]`` (``"A"`` when missing).

Counts per group
----------------
``created``    every such message (refused, deferred and pending ones too);
``sent``       the message left: status in :data:`LEFT` (queued, sent, delivered,
               undelivered, failed, unknown, ...);
``delivered``  status ``delivered`` (or ``read``);
and, each the number of the group's messages that the outcome is attributed to (a
message counts once however many times the outcome happened, so every rate is a
proportion of ``sent``):
``replied``     an inbound message on the same conversation;
``right_party`` replied, and the conversation has no ``wrong_number`` flag;
``promised``    a promise on the account created; ``kept``: one of those promises has
                status ``kept`` now;
``paid``        a payment on the account (``paid_at``; reversed payments are left out);
                ``paid_minor`` sums their amounts per currency;
``plans``       a plan on the account created;
``opted_out``   an opt-out of the recipient phone created;
``handed_off``  a handoff on the conversation created.

Attribution rule (last touch)
-----------------------------
An outcome at time ``t`` belongs to exactly one message: the most recent Duly message
that could have reached the customer (status in :data:`REACHED`, i.e. left and not
``failed``/``undelivered``) before ``t`` — strictly before, by ``sent_at`` (else
``created_at``) — on the same conversation (replies, handoffs), the same account
(promises, plans, payments; the message's ``account_id``, else its conversation's) or to
the same phone (opt-outs), and only when ``t`` is within ``attribution_days`` of that
message (``anchor < t <= anchor + attribution_days``). A later Duly message therefore
takes over the outcomes after it, so nothing is counted in two groups; an outcome whose
latest message lies outside the period (or was sent by an agent only) is not counted.
Because bot replies carry templates too, an outcome reached through a dialog is credited
to the bot's last text before it, not to the cadence notice that started the dialog.

:func:`variant_comparison` compares each non-``A`` variant with ``A`` (or, when no ``A``
row exists, with the first variant by name) within one ``(step, template, revision)``:
every rate, and Newcombe's hybrid score interval of the difference (variant − A).
:func:`results_csv` writes the rows as CSV.

Everything is computed in Python after a handful of set-based selects (same on SQLite
and PostgreSQL); fine for a page over weeks of traffic.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.money import from_minor
from bot.stats import Interval, newcombe_diff
from storage.models import (CadenceSend, Conversation, Flag, Handoff, Message, OptOut, Payment, Plan,
                            Promise)

__all__ = ["LEFT", "REACHED", "DELIVERED", "DULY_SENDERS", "METRICS", "METRIC_LABELS", "ResultRow",
           "VariantDiff", "results", "variant_comparison", "results_csv"]

#: senders whose template messages are Duly's own
DULY_SENDERS = ("bot", "system")
#: statuses of a message that left Duly (counted as ``sent``)
LEFT = frozenset({"queued", "accepted", "sending", "sent", "delivered", "read", "undelivered", "failed",
                  "unknown"})
#: statuses of a message that may have reached the customer (outcomes are attributed to these)
REACHED = LEFT - {"undelivered", "failed"}
DELIVERED = frozenset({"delivered", "read"})

#: the rates (each a count over ``sent``), in page order
METRICS = ("delivered", "replied", "right_party", "promised", "kept", "paid", "plans", "opted_out",
           "handed_off")
METRIC_LABELS = {
    "delivered": "delivered", "replied": "replied", "right_party": "right-party contact",
    "promised": "promised", "kept": "kept", "paid": "paid", "plans": "plan agreed",
    "opted_out": "opted out", "handed_off": "handed off",
}


@dataclass
class ResultRow:
    """One group's counts. ``paid_minor``: currency → minor units paid."""

    step: str | None
    template: str
    revision: int | None
    variant: str
    created: int = 0
    sent: int = 0
    delivered: int = 0
    replied: int = 0
    right_party: int = 0
    promised: int = 0
    kept: int = 0
    paid: int = 0
    plans: int = 0
    opted_out: int = 0
    handed_off: int = 0
    paid_minor: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str | None, str, int | None, str]:
        return (self.step, self.template, self.revision, self.variant)

    def rate(self, metric: str) -> float | None:
        """``metric`` / ``sent`` (``None`` when nothing was sent)."""
        if metric not in METRICS:
            raise KeyError(metric)
        return getattr(self, metric) / self.sent if self.sent else None


@dataclass(frozen=True)
class VariantDiff:
    """One rate of one variant against the baseline (``A``) of the same step, template
    and revision. ``interval``: the difference ``rate - base_rate`` with its Newcombe
    interval; ``significant`` when the interval excludes 0."""

    step: str | None
    template: str
    revision: int | None
    metric: str
    baseline: str
    variant: str
    base_count: int
    base_sent: int
    count: int
    sent: int
    interval: Interval

    @property
    def base_rate(self) -> float:
        return self.base_count / self.base_sent

    @property
    def rate(self) -> float:
        return self.count / self.sent

    @property
    def difference(self) -> float:
        return self.interval.estimate

    @property
    def significant(self) -> bool:
        return self.interval.excludes_zero


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Msg:
    id: int
    conversation_id: int
    account_id: int | None
    phone: str
    status: str
    anchor: dt.datetime
    key: tuple[str | None, str, int | None, str] | None = None


def _meta(params: Any) -> tuple[str, int | None, str] | None:
    """``(template, revision, variant)`` of a message's params, ``None`` without a template."""
    if not isinstance(params, dict):
        return None
    template = params.get("template")
    if not isinstance(template, str) or not template:
        return None
    rev = params.get("revision")
    try:
        revision = int(rev) if rev is not None and not isinstance(rev, bool) else None
    except (TypeError, ValueError):
        revision = None
    variant = params.get("variant")
    variant = str(variant) if variant not in (None, "") else "A"
    return template, revision, variant


def _columns() -> tuple[Any, ...]:
    return (Message.id, Message.conversation_id, Message.account_id, Message.to_number, Message.status,
            Message.params, Message.created_at, Message.sent_at, Conversation.account_id.label("conv_account"))


def _msg(r: Any) -> _Msg:
    return _Msg(r.id, r.conversation_id, r.account_id if r.account_id is not None else r.conv_account,
                r.to_number, r.status, r.sent_at or r.created_at)


class _LastTouch:
    """Per key (conversation, account or phone), the Duly messages in time order; finds
    the latest one strictly before a time."""

    def __init__(self) -> None:
        self._rows: dict[Hashable, list[tuple[dt.datetime, int]]] = defaultdict(list)
        self._times: dict[Hashable, list[dt.datetime]] = {}

    def add(self, key: Hashable, anchor: dt.datetime, msg_id: int) -> None:
        if key is not None:
            self._rows[key].append((anchor, msg_id))

    def freeze(self) -> "_LastTouch":
        for k, rows in self._rows.items():
            rows.sort()
            self._times[k] = [t for t, _ in rows]
        return self

    def before(self, key: Hashable, t: dt.datetime) -> tuple[dt.datetime, int] | None:
        times = self._times.get(key)
        if not times:
            return None
        i = bisect.bisect_left(times, t)      # first anchor >= t: the one before is < t
        return self._rows[key][i - 1] if i else None


def results(session: Session, start: dt.datetime, end: dt.datetime, *,
            attribution_days: int = 7) -> list[ResultRow]:
    """The results of Duly's template messages created in ``[start, end)`` (aware
    datetimes), one row per ``(step, template, revision, variant)``, sorted (cadence
    steps first). See the module docstring for the counts and the attribution rule."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    if attribution_days < 0:
        raise ValueError("attribution_days must not be negative")
    window = dt.timedelta(days=attribution_days)
    s = session

    period = s.execute(
        select(*_columns(), CadenceSend.step)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(CadenceSend, CadenceSend.message_id == Message.id)
        .where(Message.direction == "outbound", Message.sender.in_(DULY_SENDERS),
               Message.created_at >= start, Message.created_at < end)
        .order_by(Message.id)).all()

    rows: dict[tuple[str | None, str, int | None, str], ResultRow] = {}
    ours: dict[int, _Msg] = {}            # period messages that may have reached the customer
    seen: set[int] = set()
    for r in period:
        if r.id in seen:                  # a message named by two cadence sends: count once
            continue
        seen.add(r.id)
        meta = _meta(r.params)
        if meta is None:
            continue
        step = r.step
        if step is None and isinstance(r.params.get("step"), str) and r.params["step"]:
            step = r.params["step"]           # the campaign also records it in params
        key = (step, *meta)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ResultRow(*key)
        row.created += 1
        if r.status in LEFT:
            row.sent += 1
        if r.status in DELIVERED:
            row.delivered += 1
        if r.status in REACHED:
            m = _msg(r)
            m.key = key
            ours[m.id] = m
    if not ours:
        return _sorted(rows.values())

    horizon = max(m.anchor for m in ours.values()) + window
    # Every Duly message that may take an outcome over from one of ours: it went after
    # `start` (anchor >= start; created_at <= sent_at) and no later than the horizon.
    by_conv, by_account, by_phone = _LastTouch(), _LastTouch(), _LastTouch()
    for r in s.execute(
            select(*_columns())
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == "outbound", Message.sender.in_(DULY_SENDERS),
                   Message.status.in_(sorted(REACHED)),
                   or_(Message.sent_at >= start, Message.created_at >= start),
                   Message.created_at <= horizon)).all():
        if _meta(r.params) is None:
            continue
        m = ours.get(r.id) or _msg(r)
        if not start <= m.anchor <= horizon:
            continue
        by_conv.add(m.conversation_id, m.anchor, m.id)
        by_account.add(m.account_id, m.anchor, m.id)
        by_phone.add(m.phone, m.anchor, m.id)
    for idx in (by_conv, by_account, by_phone):
        idx.freeze()

    def owner(index: _LastTouch, key: Hashable, t: dt.datetime) -> _Msg | None:
        hit = index.before(key, t)
        if hit is None:
            return None
        anchor, mid = hit
        m = ours.get(mid)
        return m if m is not None and t <= anchor + window else None

    got: dict[str, set[int]] = defaultdict(set)
    paid_minor: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    for conv_id, t in s.execute(
            select(Message.conversation_id, Message.created_at)
            .where(Message.direction == "inbound", Message.created_at > start,
                   Message.created_at <= horizon)).all():
        m = owner(by_conv, conv_id, t)
        if m is not None:
            got["replied"].add(m.id)
    if got["replied"]:
        wrong = set(s.scalars(select(Flag.conversation_id).where(Flag.name == "wrong_number")).all())
        got["right_party"] = {mid for mid in got["replied"] if ours[mid].conversation_id not in wrong}

    for account_id, t, status in s.execute(
            select(Promise.account_id, Promise.created_at, Promise.status)
            .where(Promise.created_at > start, Promise.created_at <= horizon)).all():
        m = owner(by_account, account_id, t)
        if m is not None:
            got["promised"].add(m.id)
            if status == "kept":
                got["kept"].add(m.id)

    for account_id, t in s.execute(
            select(Plan.account_id, Plan.created_at)
            .where(Plan.created_at > start, Plan.created_at <= horizon)).all():
        m = owner(by_account, account_id, t)
        if m is not None:
            got["plans"].add(m.id)

    for account_id, t, amount, currency in s.execute(
            select(Payment.account_id, Payment.paid_at, Payment.amount_minor, Payment.currency)
            .where(Payment.reversed_at.is_(None), Payment.paid_at > start,
                   Payment.paid_at <= horizon)).all():
        m = owner(by_account, account_id, t)
        if m is not None:
            got["paid"].add(m.id)
            paid_minor[m.id][currency.upper()] += int(amount)

    for phone, t in s.execute(
            select(OptOut.phone, OptOut.created_at)
            .where(OptOut.created_at > start, OptOut.created_at <= horizon)).all():
        m = owner(by_phone, phone, t)
        if m is not None:
            got["opted_out"].add(m.id)

    for conv_id, t in s.execute(
            select(Handoff.conversation_id, Handoff.created_at)
            .where(Handoff.created_at > start, Handoff.created_at <= horizon)).all():
        m = owner(by_conv, conv_id, t)
        if m is not None:
            got["handed_off"].add(m.id)

    for metric, ids in got.items():
        for mid in ids:
            row = rows[ours[mid].key]  # type: ignore[index]
            setattr(row, metric, getattr(row, metric) + 1)
    for mid, amounts in paid_minor.items():
        row = rows[ours[mid].key]  # type: ignore[index]
        for cur, minor in amounts.items():
            row.paid_minor[cur] = row.paid_minor.get(cur, 0) + minor
    return _sorted(rows.values())


def _sort_key(r: ResultRow) -> tuple[Any, ...]:
    return (r.step is None, r.step or "", r.template, r.revision is None, r.revision or 0, r.variant)


def _sorted(rows: Iterable[ResultRow]) -> list[ResultRow]:
    return sorted(rows, key=_sort_key)


# --- variants --------------------------------------------------------------------------------

def variant_comparison(rows: Sequence[ResultRow], *, confidence: float = 0.95,
                       metrics: Sequence[str] = METRICS) -> list[VariantDiff]:
    """For each ``(step, template, revision)`` with more than one variant: each other
    variant against ``A`` (else the first variant by name), for every rate in
    ``metrics`` (skipped when either side sent nothing). The interval is of
    ``variant rate - A rate`` (:func:`bot.stats.newcombe_diff`)."""
    groups: dict[tuple[str | None, str, int | None], list[ResultRow]] = defaultdict(list)
    for r in rows:
        groups[(r.step, r.template, r.revision)].append(r)
    out: list[VariantDiff] = []
    for (step, template, revision), members in groups.items():
        if len(members) < 2:
            continue
        members = sorted(members, key=lambda r: r.variant)
        base = next((r for r in members if r.variant == "A"), members[0])
        for other in members:
            if other is base or not base.sent or not other.sent:
                continue
            for metric in metrics:
                x_base, x = getattr(base, metric), getattr(other, metric)
                out.append(VariantDiff(step, template, revision, metric, base.variant, other.variant,
                                       x_base, base.sent, x, other.sent,
                                       newcombe_diff(x, other.sent, x_base, base.sent, confidence)))
    out.sort(key=lambda d: (d.step is None, d.step or "", d.template, d.revision is None, d.revision or 0,
                            d.variant, METRICS.index(d.metric) if d.metric in METRICS else 99))
    return out


# --- CSV ----------------------------------------------------------------------------------------

COUNT_COLUMNS = ("created", "sent", *METRICS)


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def results_csv(rows: Sequence[ResultRow]) -> str:
    """The rows as CSV: ``step, template, revision, variant``, the counts
    (:data:`COUNT_COLUMNS`), a ``<metric>_rate`` per rate (over ``sent``, 4 decimals,
    empty when nothing was sent), then ``paid_<CUR>`` (major units) for every currency
    paid in any row."""
    currencies = sorted({c for r in rows for c in r.paid_minor})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["step", "template", "revision", "variant", *COUNT_COLUMNS,
                *(f"{m}_rate" for m in METRICS), *(f"paid_{c}" for c in currencies)])
    for r in rows:
        rates = [r.rate(m) for m in METRICS]
        w.writerow([_cell(r.step or ""), _cell(r.template), "" if r.revision is None else r.revision,
                    _cell(r.variant), *(getattr(r, c) for c in COUNT_COLUMNS),
                    *("" if v is None else f"{v:.4f}" for v in rates),
                    *(str(from_minor(r.paid_minor.get(c, 0), c)) for c in currencies)])
    return buf.getvalue()
