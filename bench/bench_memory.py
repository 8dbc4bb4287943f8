"""Memory per active conversation in the database.

    duly bench memory [--conversations N] [--messages M] [--postgres URL]

On a fresh database with N customers imported (``duly accounts import``'s code path),
the size is read, then each customer texts M replies from the corpus, each through the
webhook's own parsing (``webhooks.twilio.parse_inbound``: the stored audit copy of the
form is the real one) and ``Runner.receive`` (store, lock, interpret, step, gate,
replies claimed) — production settings, Twilio transport, business clock from Monday
10:00 New York. The size is read again:

* **bytes per conversation** = size delta / N: SQLite the database file after a WAL
  checkpoint (TRUNCATE); PostgreSQL the sum of ``pg_total_relation_size`` (heap, indexes,
  TOAST) over the schema's tables;
* **rows per conversation** = rows added in every table / N (per table in the details).

The baseline is the text the conversations hold: the UTF-8 bytes of every message body
stored (the customer's and Duly's), per conversation; the ratio is storage per byte of
text. No goal is set; the figure is for capacity planning.
"""

from __future__ import annotations

import argparse
import random
import uuid
from typing import Any

from bench.common import (ACCOUNT_SID, OUR_NUMBER, Database, ShiftedClock, corpus, customer_phone,
                          import_accounts, load_settings, reachable, row)


def _form(sid: str, frm: str, body: str) -> list[tuple[str, str]]:
    return [("ToCountry", "US"), ("ToState", "NY"), ("SmsMessageSid", sid), ("NumMedia", "0"),
            ("ToCity", ""), ("FromZip", ""), ("SmsSid", sid), ("FromState", "NY"),
            ("SmsStatus", "received"), ("FromCity", ""), ("Body", body), ("FromCountry", "US"),
            ("To", OUR_NUMBER), ("ToZip", ""), ("NumSegments", "1"), ("MessageSid", sid),
            ("AccountSid", ACCOUNT_SID), ("From", frm), ("ApiVersion", "2010-04-01")]


def run_backend(backend: str, conversations: int, messages: int, pg_url: str | None = None,
                seed: int = 11) -> dict[str, Any]:
    from sqlalchemy import text

    from duly.app import make_services
    from webhooks.twilio import FormParams, parse_inbound

    bodies = [r["text"] for r in corpus("all") if r["text"].strip()]
    rng = random.Random(seed)
    with Database(backend, pg_url) as db:
        settings = load_settings(db.url)
        import_accounts(settings, db.sessions, conversations)
        services = make_services(settings, clock=ShiftedClock(), engine=db.engine, migrate=False)
        runner = services.runner
        size0, rows0 = db.size_bytes(), db.row_counts()
        replies = 0
        for i in range(conversations):
            phone = customer_phone(i)
            for _ in range(messages):
                msg = parse_inbound(FormParams(_form("SM" + uuid.uuid4().hex, phone, rng.choice(bodies))))
                replies += len(runner.receive(msg))
        size1, rows1 = db.size_bytes(), db.row_counts()
        with db.engine.connect() as c:
            text_bytes = sum(len((b or "").encode("utf-8"))
                             for (b,) in c.execute(text("SELECT body FROM messages")))
            convs = c.execute(text("SELECT count(*) FROM conversations")).scalar()
    added = {t: rows1[t] - rows0.get(t, 0) for t in rows1 if rows1[t] != rows0.get(t, 0)}
    n = max(1, conversations)
    return {"backend": backend, "conversations": conversations, "conversations_stored": convs,
            "messages_per_conversation": messages, "replies_in_twiml": replies,
            "size_before": size0, "size_after": size1,
            "bytes_per_conversation": (size1 - size0) / n,
            "rows_per_conversation": sum(added.values()) / n,
            "rows_per_conversation_by_table": {t: v / n for t, v in sorted(added.items(), key=lambda kv: -kv[1])},
            "text_bytes_per_conversation": text_bytes / n}


def run(*, conversations: int = 100, messages: int = 3, pg_url: str | None = None,
        backends: tuple[str, ...] | None = None) -> dict[str, Any]:
    backends = backends or (("sqlite", "postgresql") if pg_url else ("sqlite",))
    rows, details = [], {}
    for backend in backends:
        why = reachable(backend, pg_url)
        if why:
            rows.append(row(f"memory {backend}", None, "", skipped=why))
            details[backend] = {"skipped": why}
            continue
        d = run_backend(backend, conversations, messages, pg_url)
        details[backend] = d
        label = f"memory {backend}, {conversations} conversations x {messages} texts"
        rows.append(row(f"{label}: bytes/conversation", d["bytes_per_conversation"], "B",
                        baseline=d["text_bytes_per_conversation"],
                        ratio=(d["bytes_per_conversation"] / d["text_bytes_per_conversation"]
                               if d["text_bytes_per_conversation"] else None), ratio_note="text"))
        rows.append(row(f"{label}: rows/conversation", d["rows_per_conversation"], "rows"))
    return {"rows": rows, "details": details}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("memory")
    g.add_argument("--conversations", type=int, default=100, help="conversations made (100)")
    g.add_argument("--messages", type=int, default=3, help="customer texts per conversation (3)")


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    return run(conversations=args.conversations, messages=args.messages, pg_url=args.postgres)
