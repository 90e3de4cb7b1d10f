"""The one waiter: deadline, interval, one read per round, a message naming what was awaited.

An injected clock: these tests never sleep.
"""
import pytest

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._waiter import Waiter, WaitTimeout
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.module_utils.prometheus_stub import Clock


def waiter(clock, timeout, interval=1.0):
    return Waiter(timeout, interval=interval, clock=clock, sleep=clock.sleep)


def reads(*values, clock=None, cost=0.0):
    """A read() that returns `values` in turn; each read takes `cost` seconds of `clock`."""
    queue = list(values)

    def read():
        if clock is not None:
            clock.now += cost
        value = queue.pop(0)
        if isinstance(value, Exception):
            raise value
        return value
    read.left = queue
    return read


def test_returns_the_first_value_that_is_done_without_sleeping_after_it():
    clock = Clock()
    read = reads(1, 2, 3, 4)
    assert waiter(clock, 10).wait(read, lambda v: v >= 3, "three") == 3
    assert clock.sleeps == [1.0, 1.0]
    assert read.left == [4]


def test_done_at_once_reads_once_and_never_sleeps():
    clock = Clock()
    assert waiter(clock, 10).wait(reads("ok"), bool, "ok") == "ok"
    assert clock.sleeps == []


def test_timeout_names_what_and_carries_the_last_value():
    clock = Clock()
    read = reads(*range(10))
    with pytest.raises(WaitTimeout) as caught:
        waiter(clock, 3).wait(read, lambda v: False, "every job to be live")
    exc = caught.value
    assert str(exc) == "timed out after 3s waiting for every job to be live"
    # reads at 0, 1, 2 and at the deadline (3): the last read happens AT the deadline
    assert exc.last == 3 and exc.rounds == 4
    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert exc.what == "every job to be live" and exc.timeout == 3


def test_a_round_never_sleeps_past_the_deadline():
    clock = Clock()
    with pytest.raises(WaitTimeout):
        waiter(clock, 2.5, interval=2).wait(reads(0, 0, 0), lambda v: False, "x")
    assert clock.sleeps == [2, 0.5]


def test_slow_reads_count_against_the_deadline():
    clock = Clock()
    read = reads(0, 0, 0, 0, clock=clock, cost=2.0)
    with pytest.raises(WaitTimeout) as caught:
        waiter(clock, 5).wait(read, lambda v: False, "x")
    # read (t=2), sleep 1, read (t=5): deadline reached
    assert caught.value.rounds == 2 and clock.sleeps == [1.0]


def test_timeout_zero_reads_exactly_once():
    clock = Clock()
    with pytest.raises(WaitTimeout) as caught:
        waiter(clock, 0).wait(reads(7, 8), lambda v: False, "x")
    assert caught.value.rounds == 1 and caught.value.last == 7 and clock.sleeps == []


def test_fractional_timeout_in_the_message():
    with pytest.raises(WaitTimeout, match=r"^timed out after 0\.5s waiting for x$"):
        waiter(Clock(), 0.5).wait(reads(0, 0), lambda v: False, "x")


class Transient(Exception):
    pass


def test_retry_on_errors_are_not_yet_and_named_when_time_runs_out():
    clock = Clock()
    read = reads(Transient("connection refused"), Transient("connection refused again"))
    with pytest.raises(WaitTimeout) as caught:
        waiter(clock, 1).wait(read, bool, "Prometheus", retry_on=(Transient,))
    assert str(caught.value) == ("timed out after 1s waiting for Prometheus "
                                 "(last error: connection refused again)")
    assert caught.value.last is None


def test_a_successful_read_clears_the_error_but_keeps_the_value():
    clock = Clock()
    with pytest.raises(WaitTimeout) as caught:
        waiter(clock, 1).wait(reads(Transient("boom"), "half"), lambda v: v == "all", "all",
                              retry_on=(Transient,))
    assert caught.value.error is None and caught.value.last == "half"
    assert "last error" not in str(caught.value)


def test_a_transient_error_then_success():
    clock = Clock()
    assert waiter(clock, 5).wait(reads(Transient("x"), "up"), bool, "up", retry_on=(Transient,)) == "up"


def test_other_errors_propagate_at_once():
    clock = Clock()
    with pytest.raises(ValueError):
        waiter(clock, 5).wait(reads(ValueError("broken")), bool, "x", retry_on=(Transient,))
    assert clock.sleeps == []
