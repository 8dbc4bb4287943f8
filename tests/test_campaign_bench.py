"""bench/bench_planning.py works end to end at a small size (the 1M case is not run here)."""

from __future__ import annotations

import pytest

from bench import bench_planning
from tests.conftest import postgres_problem, require_services


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_planning_bench_runs_at_2000_accounts(backend):
    if backend == "postgresql" and postgres_problem() is not None and not require_services():
        pytest.skip(postgres_problem())
    [r] = bench_planning.run(2000, [backend], sample=40)
    assert not r.get("skipped"), r.get("skipped")
    # every account with a balance and DPD >= 1 gets one cadence row (planned or held); the
    # plan counts DPD in the account's zone, so Shanghai's accounts a day ahead of UTC add a few
    assert r["rows_bare"] > 1900 and r["rows_bare"] <= r["rows"] <= r["rows_bare"] * 1.01
    assert r["bare_s"] > 0 and r["plan_s"] > 0 and r["batches"] >= 1
    assert r["sample"] == 40 and r["ms_per_message"] > 0
    assert backend in bench_planning.table([r])
