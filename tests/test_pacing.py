"""The pacing schedule (runner.pacing.Pacer) on a fake clock: made-up lost time, and the
bound that keeps the carrier's rate — any N consecutive sends of a sender span at least
(N − 1) × interval − tolerance seconds, whatever the timing of the calls."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.pacing import Pacer


class FakeTime:
    """A monotonic clock whose sleep advances it (no real sleeping)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def _sends(rate: float, work: list[float], tolerance: float | None = None) -> list[float]:
    """Send times of one sender: pacer.wait, then the send at the clock's time, then
    ``work[i]`` seconds of other work (claims, commits, stalls) before the next call."""
    ft = FakeTime()
    pacer = Pacer(rate, ft.monotonic, ft.sleep, tolerance=tolerance)
    times = []
    for w in work:
        pacer.wait("+15555550100")
        times.append(ft.t)
        ft.t += w
    return times


def _min_span(times: list[float], n: int) -> float:
    return min(times[i + n - 1] - times[i] for i in range(len(times) - n + 1))


@settings(max_examples=300, deadline=None)
@given(rate=st.sampled_from([0.5, 1.0, 4.0, 20.0, 100.0]),
       tolerance_share=st.sampled_from([None, 0.0, 0.25, 1.0, 3.0]),
       work=st.lists(st.one_of(st.floats(0, 0.01), st.floats(0, 0.2), st.floats(0, 5.0)),
                     min_size=2, max_size=120))
def test_no_run_of_consecutive_sends_is_faster_than_the_rate_allows(rate, tolerance_share, work):
    interval = 1 / rate
    tolerance = None if tolerance_share is None else tolerance_share * interval
    times = _sends(rate, work, tolerance)
    allowed = interval if tolerance is None else tolerance   # the default is one interval
    for n in range(2, len(times) + 1):
        assert _min_span(times, n) >= (n - 1) * interval - allowed - 1e-9, n
    # the same bound counted in windows: at most floor((T + tolerance) / interval) + 1 sends
    for i, start in enumerate(times):
        for window in (interval, 10 * interval):
            inside = sum(1 for t in times[i:] if t < start + window)
            assert inside <= int((window + allowed) / interval + 1e-9) + 1


def test_strict_spacing_with_no_tolerance():
    times = _sends(20.0, [0.0, 0.3, 0.001, 0.12, 0.0] * 20, tolerance=0)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.05 - 1e-9
    assert _min_span(times, 100) >= 99 * 0.05 - 1e-9


def test_short_stalls_are_made_up_and_the_rate_holds():
    # 20/s (50 ms slots); every 10th send is followed by 90 ms of work (a claim's gate
    # work) instead of 10 ms: 40 ms late, within the default tolerance (one interval)
    work = [0.09 if i % 10 == 9 else 0.01 for i in range(400)]
    times = _sends(20.0, work)
    assert times[-1] - times[0] == pytest.approx(399 / 20)      # exactly the configured rate
    # strict spacing loses the 40 ms each time
    strict = _sends(20.0, work, tolerance=0)
    assert strict[-1] - strict[0] == pytest.approx(399 / 20 + 39 * 0.04)
    # a stall longer than the tolerance is made up only as far as the tolerance
    long = _sends(20.0, [0.2 if i == 99 else 0.01 for i in range(200)])
    assert long[-1] - long[0] == pytest.approx(199 / 20 + (0.2 - 0.05) - 0.05)


def test_senders_are_paced_apart_and_unpaced_never_waits():
    ft = FakeTime()
    pacer = Pacer(2.0, ft.monotonic, ft.sleep)
    assert [pacer.wait("A"), pacer.wait("B"), pacer.wait("A"), pacer.wait("B")] == [0.0, 0.0, 0.5, 0.0]
    off = Pacer(0, ft.monotonic, ft.sleep)
    assert [off.wait("A") for _ in range(5)] == [0.0] * 5 and off.book("A") == 0.0
