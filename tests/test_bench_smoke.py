"""bench/ runs end to end at tiny sizes: the result structure and sane, positive numbers.

No timing assertions: these are smoke runs on a shared machine, not measurements
(``duly bench`` is the measurement; bench/README.md has the method).
"""

from __future__ import annotations

import json
import math

import pytest

from bench import __main__ as bench_main
from bench import bench_intents, bench_memory, bench_outbound, bench_webhooks
from bench.common import slope, table
from tests.conftest import postgres_problem, postgres_url, require_services

ROW_KEYS = {"benchmark", "value", "unit", "baseline", "ratio", "ratio_note", "goal", "met", "skipped"}


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def _check_rows(rows, n=None):
    assert rows and (n is None or len(rows) == n), rows
    for r in rows:
        assert set(r) == ROW_KEYS, r
        assert not r["skipped"], r["skipped"]
        assert _positive(r["value"]), r
    text = table(rows)
    for r in rows:
        assert r["benchmark"] in text


def _pg_or_skip() -> str:
    problem = postgres_problem()
    if problem is not None:
        if require_services():
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    return postgres_url()


def _check_webhooks(d, processes):
    assert d["processes"] == processes
    for side in ("duly", "bare", "store"):
        closed, opened = d[side]["closed"], d[side]["open"]
        assert closed["ok"] > 0 and closed["ok"] == closed["requests"] and closed["errors"] == closed["stalled"] == 0, closed
        assert opened["ok"] > 0 and opened["ok"] == opened["requests"] and opened["errors"] == 0, opened
        assert _positive(closed["throughput"]) and _positive(closed["p99_ms"])
        assert 0 < opened["p50_ms"] <= opened["p99_ms"] <= opened["max_ms"]
        assert _positive(closed["server_cpu_ms_per_request"])
    # every request Duly answered 200 was stored once and acted on
    db = d["database"]
    assert db["inbound"] >= d["duly"]["closed"]["ok"] + d["duly"]["open"]["ok"]
    assert db["unprocessed"] == 0 and 0 < db["conversations"] <= d["customers"]
    assert d["bare"]["answer_bytes"] > 0 and _positive(d["half_rate"])
    # the store-only floor stored every request it answered 200 (warm-ups too)
    assert d["store"]["stored"] >= d["store"]["closed"]["ok"] + d["store"]["open"]["ok"]


def test_webhooks_bench_sqlite():
    out = bench_webhooks.run(customers=10, concurrency=3, seconds=0.8, open_seconds=0.8, warmup=0.2)
    _check_rows(out["rows"], 6)
    _check_webhooks(out["details"]["sqlite"], 1)
    tput = out["rows"][0]
    assert tput["baseline"] > 0 and tput["ratio"] == pytest.approx(tput["value"] / tput["baseline"])


def test_intents_bench():
    out = bench_intents.run("public", seconds=0.05, rounds=1)
    _check_rows(out["rows"], 3)
    d = out["details"]
    assert 0 < d["no_dates"]["rows"] < d["all"]["rows"]
    for part in ("no_dates", "all"):
        assert _positive(d[part]["floor_per_s"]) and _positive(d[part]["floors_per_reply"])
        assert d[part]["floors_per_reply"] == pytest.approx(d[part]["floor_per_s"] / d[part]["replies_per_s"])
        # the fixed steps alone are cheaper than a whole reading and dearer than the floor
        assert d[part]["replies_per_s"] < d[part]["fixed_per_s"] < d[part]["floor_per_s"]
        assert d[part]["fixed_floors"] == pytest.approx(d[part]["floor_per_s"] / d[part]["fixed_per_s"])


def test_memory_bench_sqlite():
    out = bench_memory.run(conversations=4, messages=2)
    _check_rows(out["rows"], 2)
    d = out["details"]["sqlite"]
    assert d["conversations_stored"] == 4 and d["size_after"] > d["size_before"]
    assert d["rows_per_conversation_by_table"]["conversations"] == 1
    assert d["rows_per_conversation_by_table"]["messages"] >= 2
    assert _positive(d["text_bytes_per_conversation"])


def test_outbound_bench_sqlite():
    out = bench_outbound.run(rate=25.0, messages=8)
    _check_rows(out["rows"], 1)
    [d] = out["details"]["sqlite"]
    assert d["workers"] == 1 and d["pending"] == 8 and d["sent"] == 8
    assert d["statuses"] == {"queued": 8}
    assert _positive(d["achieved"]) and d["ratio"] == pytest.approx(d["achieved"] / 25.0)


@pytest.mark.postgres
def test_benches_on_postgres():
    url = _pg_or_skip()
    web = bench_webhooks.run(customers=6, concurrency=3, seconds=0.8, open_seconds=0.8, warmup=0.2,
                             pg_url=url, pg_processes=2, backends=("postgresql",))
    _check_rows(web["rows"], 6)
    _check_webhooks(web["details"]["postgresql"], 2)
    mem = bench_memory.run(conversations=3, messages=2, pg_url=url, backends=("postgresql",))
    _check_rows(mem["rows"], 2)
    out = bench_outbound.run(rate=25.0, messages=8, workers=(2,), pg_url=url, backends=("postgresql",))
    _check_rows(out["rows"], 1)
    [d] = out["details"]["postgresql"]
    assert d["workers"] == 2 and d["sent"] == 8 and d["statuses"] == {"queued": 8}


def test_unreachable_postgres_is_reported_as_skipped():
    out = bench_memory.run(conversations=2, messages=1, pg_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
                           backends=("postgresql",))
    [r] = out["rows"]
    assert r["skipped"] and "skipped" in table(out["rows"])


def test_cli_prints_the_table_and_json(capsys):
    assert bench_main.main(["intents", "memory", "--quick", "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert {r["benchmark"].split(",")[0].split(" ")[0] for r in doc["rows"]} == {"intents", "memory"}
    assert set(doc["details"]) == {"intents", "memory"} and doc["machine"]["nproc"] >= 1
    for head in ("benchmark", "value", "baseline", "ratio", "goal", "met?"):
        assert head in captured.err
    # a --quick table says it is no measurement (its "met?" column looks like a real run's)
    assert "--quick: a smoke run at tiny sizes, not a measurement" in captured.err


def test_cli_refuses_an_unknown_benchmark():
    with pytest.raises(SystemExit):
        bench_main.main(["nonsense"])


def test_slope_is_the_rate_of_an_evenly_spaced_stream():
    assert slope([i / 20 for i in range(50)]) == pytest.approx(20.0)
    assert math.isnan(slope([1.0]))
