"""Memory per active conversation in the database (and in Redis with ``--redis URL``).

    duly bench memory [--conversations N] [--messages M] [--postgres URL] [--redis URL]

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

With ``--redis URL`` the runner gets the Redis services of a scaled-out web process
(:func:`storage.kv.make_kv`: conversation lock, MessageSid dedupe, counters) under a key
prefix of its own (``duly-bench-<random>:``, so a shared Redis is safe; the keys are
deleted afterwards), on the last backend run (PostgreSQL when given). After the texts:

* **Redis bytes per conversation** = the sum of ``MEMORY USAGE`` (key, value and
  Redis's per-key overhead, ``SAMPLES 0``) over every key left under the prefix / N;
* **Redis keys per conversation** = keys left / N, by kind in the details (``seen``:
  one MessageSid dedupe key per text, 24 h TTL; ``lock``: none left — a conversation
  lock lives only while a text is handled: its own size is measured on a sample lock and
  reported as ``lock_key_bytes``; ``rate``: counters, none on this path);
* ``used_memory`` before/after (``INFO memory``) as a cross-check, noisy on a shared
  server.
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


def redis_problem(redis_url: str) -> str | None:
    """``None`` when Redis at ``redis_url`` answers PING, else why not (one line)."""
    try:
        from storage.kv import make_kv

        kv = make_kv(redis_url, prefix="duly-bench-ping:")
        try:
            kv.ping()
        finally:
            kv.close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:100]}"
    return None


def redis_keys(client: Any, prefix: str) -> dict[str, Any]:
    """Every key under ``prefix``: count, ``MEMORY USAGE`` sum and per kind (the first
    part of the key after the prefix: ``seen``, ``lock``, ``rate``...), keys with a TTL."""
    kinds: dict[str, dict[str, int]] = {}
    total = keys = with_ttl = 0
    for key in client.scan_iter(match=prefix.encode() + b"*", count=1000):
        name = key.decode("utf-8", "replace")[len(prefix):]
        kind = name.split(":", 1)[0] or "?"
        size = int(client.memory_usage(key, samples=0) or 0)
        k = kinds.setdefault(kind, {"keys": 0, "bytes": 0})
        k["keys"] += 1
        k["bytes"] += size
        keys += 1
        total += size
        if client.pttl(key) > 0:
            with_ttl += 1
    return {"keys": keys, "bytes": total, "keys_with_ttl": with_ttl, "by_kind": kinds}


def _used_memory(client: Any) -> int:
    return int(client.info("memory").get("used_memory", 0))


def run_backend(backend: str, conversations: int, messages: int, pg_url: str | None = None,
                seed: int = 11, redis_url: str | None = None) -> dict[str, Any]:
    from sqlalchemy import text

    from duly.app import make_services
    from webhooks.twilio import FormParams, parse_inbound

    bodies = [r["text"] for r in corpus("all") if r["text"].strip()]
    rng = random.Random(seed)
    kv, prefix, redis0 = None, "", 0
    with Database(backend, pg_url) as db:
        settings = load_settings(db.url)
        import_accounts(settings, db.sessions, conversations)
        services = make_services(settings, clock=ShiftedClock(), engine=db.engine, migrate=False)
        runner = services.runner
        if redis_url:
            from storage.kv import make_kv

            prefix = f"duly-bench-{uuid.uuid4().hex[:10]}:"
            kv = make_kv(redis_url, prefix=prefix)
            runner.kv = kv
            redis0 = _used_memory(kv.client)
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
        redis = None
        if kv is not None:
            try:
                redis = _measure_redis(kv, prefix, redis0, max(1, conversations))
            finally:
                _drop_prefix(kv.client, prefix)
                kv.close()
    added = {t: rows1[t] - rows0.get(t, 0) for t in rows1 if rows1[t] != rows0.get(t, 0)}
    n = max(1, conversations)
    return {"backend": backend, "conversations": conversations, "conversations_stored": convs,
            "redis": redis,
            "messages_per_conversation": messages, "replies_in_twiml": replies,
            "size_before": size0, "size_after": size1,
            "bytes_per_conversation": (size1 - size0) / n,
            "rows_per_conversation": sum(added.values()) / n,
            "rows_per_conversation_by_table": {t: v / n for t, v in sorted(added.items(), key=lambda kv: -kv[1])},
            "text_bytes_per_conversation": text_bytes / n}


def _measure_redis(kv: Any, prefix: str, used0: int, n: int) -> dict[str, Any]:
    """What the texts left in Redis under ``prefix``, per conversation; plus the size of
    one conversation lock while held (none is left once the texts are handled)."""
    left = redis_keys(kv.client, prefix)
    used1 = _used_memory(kv.client)
    handle = kv.locks.acquire("conv:0", ttl_seconds=30, wait_seconds=0)
    try:
        lock = redis_keys(kv.client, prefix + "lock:")
    finally:
        if handle is not None:
            handle.release()
    return {"keys": left["keys"], "bytes": left["bytes"], "keys_with_ttl": left["keys_with_ttl"],
            "by_kind": left["by_kind"], "bytes_per_conversation": left["bytes"] / n,
            "keys_per_conversation": left["keys"] / n, "lock_key_bytes": lock["bytes"],
            "used_memory_before": used0, "used_memory_after": used1,
            "used_memory_delta_per_conversation": (used1 - used0) / n}


def _drop_prefix(client: Any, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix.encode() + b"*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i:i + 500])


def run(*, conversations: int = 100, messages: int = 3, pg_url: str | None = None,
        backends: tuple[str, ...] | None = None, redis_url: str | None = None) -> dict[str, Any]:
    backends = backends or (("sqlite", "postgresql") if pg_url else ("sqlite",))
    rows, details = [], {}
    redis_why = redis_problem(redis_url) if redis_url else None
    runnable = [b for b in backends if not reachable(b, pg_url)]
    redis_on = runnable[-1] if (redis_url and not redis_why and runnable) else None
    for backend in backends:
        why = reachable(backend, pg_url)
        if why:
            rows.append(row(f"memory {backend}", None, "", skipped=why))
            details[backend] = {"skipped": why}
            continue
        d = run_backend(backend, conversations, messages, pg_url,
                        redis_url=redis_url if backend == redis_on else None)
        details[backend] = d
        def per_conversation(store: str, value: float, baseline: float, note: str,
                             count: float, unit: str) -> None:
            label = f"memory {store}, {conversations} conversations x {messages} texts"
            rows.append(row(f"{label}: bytes/conversation", value, "B", baseline=baseline,
                            ratio=value / baseline if baseline else None, ratio_note=note))
            rows.append(row(f"{label}: {unit}/conversation", count, unit))

        per_conversation(backend, d["bytes_per_conversation"], d["text_bytes_per_conversation"], "text",
                         d["rows_per_conversation"], "rows")
        r = d.get("redis")
        if r is not None:
            per_conversation("redis", r["bytes_per_conversation"], d["bytes_per_conversation"], "of database",
                             r["keys_per_conversation"], "keys")
    if redis_url and redis_why:
        rows.append(row("memory redis", None, "", skipped=redis_why))
        details["redis"] = {"skipped": redis_why}
    return {"rows": rows, "details": details}


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("memory")
    g.add_argument("--conversations", type=int, default=100, help="conversations made (100)")
    g.add_argument("--messages", type=int, default=3, help="customer texts per conversation (3)")


def from_args(args: argparse.Namespace) -> dict[str, Any]:
    # --redis is one option for every benchmark (bench_webhooks registers it)
    return run(conversations=args.conversations, messages=args.messages, pg_url=args.postgres,
               redis_url=getattr(args, "redis", None))
