"""Pacing from the rate-limit headers: the pacer's decisions on an injected clock.

No test here sleeps for real: the clock is a number the fake sleeps advance,
and every wait a caller makes is recorded and asserted exactly.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from langchain_provider import ChatSambaNova
from langchain_provider._rate_limits import Pacer, Ticket, pacer_for
from langchain_provider._retry import RetryPolicy

from .conftest import completion


class Clock:
    """A fake monotonic clock whose sleeps advance it and are recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class VirtualClock(Clock):
    """Virtual time for async tests: sleeps end only when `run` advances time.

    Not driven, an async sleep never ends, so only a wake-up ends a wait.
    """

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[tuple[float, asyncio.Future[None]]] = []

    async def async_sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        future = asyncio.get_running_loop().create_future()
        self.timers.append((self.now + seconds, future))
        await future

    async def run(self, *calls: Any) -> list[Any]:
        """Run the calls; whenever all are stuck, jump to the next timer."""
        tasks = [asyncio.ensure_future(call) for call in calls]
        while not all(task.done() for task in tasks):
            for _ in range(20):  # let every ready callback run
                await asyncio.sleep(0)
            self.timers = [(at, f) for at, f in self.timers if not f.done()]
            if self.timers:
                self.now = max(self.now, min(at for at, _ in self.timers))
                for at, future in self.timers:
                    if at <= self.now:
                        future.set_result(None)
        return [task.result() for task in tasks]


def window(remaining: int, reset: float, limit: int = 20) -> dict[str, Any]:
    """The normalized headers of an answer (``rate_limit_from_headers``)."""
    return {
        "requests": {"limit": limit, "remaining": remaining, "reset_seconds": reset}
    }


def pacer(clock: Clock, **options: Any) -> Pacer:
    return Pacer(now=clock, sleep=clock.sleep, async_sleep=clock.async_sleep, **options)


def start_window(p: Pacer, remaining: int, reset: float) -> None:
    """Answer a cold-start probe, so that the pacer knows the window."""
    p.acquire().answered(window(remaining, reset), 200)


# -- sync decisions -------------------------------------------------------------


def test_a_known_window_lets_a_share_of_what_remains_go_at_once():
    clock = Clock()
    p = pacer(clock, share=0.25)
    start_window(p, remaining=19, reset=5.0)
    tickets = [p.acquire() for _ in range(5)]  # ceil(19 / 4)
    assert clock.sleeps == []
    assert p.in_flight == 5
    for ticket in tickets:
        ticket.answered(window(14, 5.0), 200)
    assert p.in_flight == 0 and p.remaining == 14


def test_a_full_window_waits_exactly_until_its_reset_then_probes():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=0, reset=3.25)
    ticket = p.acquire()
    assert clock.sleeps == [3.25]
    # After the reset the window is unknown: this request is the probe.
    assert p._probe is ticket


def test_a_429_teaches_the_window_and_halves_the_share():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    clock.now += 0.5
    p.acquire().answered(window(0, 4.5), 429)
    assert p.remaining == 0 and p.share == 0.25
    p.acquire()
    assert clock.sleeps == [4.5]


def test_several_429s_in_one_window_halve_the_share_once():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    first, second = p.acquire(), p.acquire()
    first.answered(window(0, 4.0), 429)
    second.answered(window(0, 4.0), 429)
    assert p.share == 0.25


def test_a_window_without_429_wins_share_back():
    clock = Clock()
    p = pacer(clock, share=0.5)
    start_window(p, remaining=10, reset=5.0)
    p.acquire().answered(window(0, 5.0), 429)  # share 0.25
    p.acquire().answered(window(19, 5.0), 200)  # after the reset: a clean window
    assert clock.sleeps == [5.0]
    p.acquire().answered(window(19, 5.0), 200)  # the next window opens
    assert p.share == pytest.approx(0.25)  # the throttled window gave nothing back
    clock.sleep(5.0)
    p.acquire().answered(window(19, 5.0), 200)
    assert p.share == pytest.approx(0.25 + 0.5 / 8)


def test_answers_without_headers_switch_pacing_off_until_headers_return():
    clock = Clock()
    p = pacer(clock)
    p.acquire().answered(None, 200)
    tickets = [p.acquire() for _ in range(50)]
    assert clock.sleeps == [] and not p.paced
    tickets[0].answered(window(0, 2.0), 200)  # headers again: paced again
    p.acquire()
    assert clock.sleeps == [2.0]


def test_a_429_without_headers_does_not_switch_pacing_off():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=0, reset=1.0)
    clock.sleep(1.0)
    p.acquire().answered(None, 429)
    assert p.paced


def test_only_the_daily_window_is_no_reason_to_wait():
    clock = Clock()
    p = pacer(clock)
    daily = {"requests_day": {"limit": 100, "remaining": 0, "reset_seconds": 9000.0}}
    p.acquire().answered(daily, 429)
    assert [p.acquire() for _ in range(3)] and clock.sleeps == []


def test_a_reset_beyond_max_wait_is_a_quota_that_fails_fast():
    clock = Clock()
    p = pacer(clock, max_wait=60.0)
    start_window(p, remaining=0, reset=3600.0)
    p.acquire()
    assert clock.sleeps == []


def test_late_answers_of_an_ended_window_teach_nothing():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=5, reset=1.0)
    late = p.acquire()
    clock.sleep(1.5)
    late.answered(window(4, 0.0), 200)  # its window ended; the pacer is cold
    assert p.reset_at == pytest.approx(1001.0)
    probe = p.acquire()
    assert p._probe is probe


def test_remaining_only_goes_down_within_a_window():
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=10, reset=5.0)
    first, second = p.acquire(), p.acquire()
    second.answered(window(3, 5.0), 200)  # another process used some
    first.answered(window(8, 5.0), 200)  # answered late, an older count
    assert p.remaining == 3


def test_a_later_reset_while_live_opens_a_new_window():
    clock = Clock()
    p = pacer(clock)
    start_window(p, remaining=5, reset=1.0)
    p.acquire().answered(window(9, 6.0), 200)  # the clocks disagree: trust it
    assert p.remaining == 9 and p.reset_at == pytest.approx(1006.0)


def test_the_registry_shares_one_pacer_per_target_and_hides_the_key():
    one = pacer_for("http://h/v1/", SecretStr("sk-secret"), "m")
    assert pacer_for("http://h/v1", "sk-secret", "m") is one
    assert pacer_for("http://h/v1", "sk-other", "m") is not one
    assert pacer_for("http://h/v1", "sk-secret", "other-model") is not one
    assert "sk-secret" not in repr(one)
    from langchain_provider import _rate_limits

    assert not any("sk-secret" in str(key) for key in _rate_limits._pacers)


# -- cold start ------------------------------------------------------------------


async def test_cold_start_holds_a_burst_until_the_probe_answers():
    clock = VirtualClock()
    p = pacer(clock, share=0.25, probe_timeout=2.0)
    probe = await p.aacquire()
    waiting = [asyncio.create_task(p.aacquire()) for _ in range(10)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert not any(task.done() for task in waiting)
    assert clock.sleeps == [2.0] * 10  # each would give the probe 2 s at most
    probe.answered(window(15, 5.0), 200)
    for _ in range(5):
        await asyncio.sleep(0)
    done = [task for task in waiting if task.done()]
    assert len(done) == 4  # ceil(15 / 4) may be in flight
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)


def test_a_slow_probe_lets_one_more_go_after_the_probe_timeout():
    clock = Clock()
    p = pacer(clock, probe_timeout=2.0)
    p.acquire()
    clock.sleep(2.0)
    second = p.acquire()  # no wait: the probe is overdue
    assert clock.sleeps == [2.0] and p._probe is second


def test_a_sync_waiter_is_woken_by_an_answer_from_another_thread():
    clock = Clock()
    p = pacer(clock, probe_timeout=30.0)
    probe = p.acquire()
    got: list[Ticket] = []
    waiter = threading.Thread(target=lambda: got.append(p.acquire()))
    waiter.start()
    while not p._waiters:  # the waiter is parked
        threading.Event().wait(0.001)
    probe.answered(window(10, 5.0), 200)
    waiter.join(timeout=10)
    assert got and p.in_flight == 1


# -- cancellation and release ----------------------------------------------------


async def test_cancelling_a_waiting_call_frees_its_wake_up_for_the_next():
    clock = VirtualClock()
    p = pacer(clock, share=1.0)
    probe = await p.aacquire()
    first = asyncio.create_task(p.aacquire())
    second = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    # The probe fails without an answer: one place (the next probe) is free,
    # and the first waiter is woken for it, but is cancelled before it runs.
    probe.release()
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    ticket = await asyncio.wait_for(second, timeout=5)
    assert p._probe is ticket and p.in_flight == 1
    assert p._waiters == []


async def test_a_cancelled_waiter_leaves_no_trace():
    clock = VirtualClock()
    p = pacer(clock)
    await p.aacquire()
    task = asyncio.create_task(p.aacquire())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert p._waiters == [] and p.in_flight == 1


def test_the_ticket_releases_its_place_on_an_exception():
    clock = Clock()
    p = pacer(clock)
    with pytest.raises(RuntimeError), p.acquire():
        raise RuntimeError("the attempt failed without an answer")
    assert p.in_flight == 0 and p._probe is None


def test_an_answered_ticket_is_not_released_twice():
    clock = Clock()
    p = pacer(clock)
    with p.acquire() as ticket:
        ticket.answered(window(5, 5.0), 200)
    ticket.release()
    assert p.in_flight == 0


def test_a_release_frees_a_place_in_a_window_whose_remaining_are_in_flight():
    clock = Clock()
    p = pacer(clock, share=1.0)
    start_window(p, remaining=2, reset=5.0)
    first, _second = p.acquire(), p.acquire()
    got: list[Ticket] = []
    waiter = threading.Thread(target=lambda: got.append(p.acquire()))
    waiter.start()
    while not p._waiters:
        threading.Event().wait(0.001)
    first.release()
    waiter.join(timeout=10)
    assert got and clock.sleeps == []


# -- async and threads -----------------------------------------------------------


async def test_async_full_window_waits_exactly_until_the_reset():
    clock = Clock()
    p = pacer(clock)
    (await p.aacquire()).answered(window(0, 4.0), 200)
    await p.aacquire()
    assert clock.sleeps == [4.0]


async def test_a_burst_takes_exactly_the_windows_it_needs_without_a_429():
    clock = VirtualClock()
    p = pacer(clock, share=0.5)
    limit, length = 6, 5.0
    server = {"reset_at": 0.0, "count": 0, "rejected": 0}
    peak = 0

    async def call() -> None:
        nonlocal peak
        with await p.aacquire() as ticket:
            peak = max(peak, p.in_flight)
            await asyncio.sleep(0)  # the request is in flight
            if clock.now >= server["reset_at"]:  # a fixed window, as the emulator's
                server["reset_at"], server["count"] = clock.now + length, 0
            server["count"] += 1
            over = server["count"] > limit
            server["rejected"] += over
            remaining = max(limit - server["count"], 0)
            reset = server["reset_at"] - clock.now
            ticket.answered(window(remaining, reset, limit), 429 if over else 200)

    start = clock.now
    await clock.run(*(call() for _ in range(20)))
    assert server["rejected"] == 0
    assert peak <= limit
    # 20 calls at 6 a window: four windows, so three waits for a reset.
    assert clock.now - start == 15.0


def test_threads_never_overshoot_a_window():
    clock = Clock()
    lock = threading.Lock()

    class Full(Exception):
        pass

    def full(seconds: float) -> None:
        raise Full  # the window is used up: this thread stops asking

    p = Pacer(now=clock, sleep=full, share=0.5)
    start_window(p, remaining=30, reset=50.0)
    granted: list[Ticket] = []

    def grab() -> None:
        for _ in range(10):
            try:
                ticket = p.acquire()
            except Full:
                return
            with lock:
                granted.append(ticket)

    threads = [threading.Thread(target=grab, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    while True:  # answer whatever is in flight, as a server would
        with lock:
            pending = [t for t in granted if not t._done]
            done = sum(t._done for t in granted)
        if not pending and done >= 30:
            break
        for ticket in pending:
            ticket.answered(window(max(30 - len(granted), 0), 49.0), 200)
        threading.Event().wait(0.001)
    for thread in threads:
        thread.join(timeout=10)
    assert len(granted) == 30  # never more than the window had
    assert p.remaining == 0 and p.in_flight == 0


# -- the retry after a 429 waits for the window's reset -------------------------

LIMITED = {
    "x-ratelimit-limit-requests": "20",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": "3.5",
}


@pytest.mark.parametrize(
    ("status", "headers", "delay"),
    [
        (429, LIMITED, 3.5),  # no retry-after: the window's reset
        (429, {**LIMITED, "retry-after": "4"}, 4.0),  # retry-after wins
        (503, LIMITED, 0.5),  # not a rate limit: backoff
        (429, {**LIMITED, "x-ratelimit-remaining-requests": "3"}, 0.5),  # room left
        (429, {**LIMITED, "x-ratelimit-reset-requests": "600"}, 0.5),  # too far
    ],
)
def test_a_429_is_retried_after_the_reset_the_server_reports(status, headers, delay):
    policy = RetryPolicy(random=lambda: 0.0)
    assert policy.delay(0, httpx.Headers(headers), status=status) == delay


def test_a_model_waits_for_the_reset_before_retrying_a_429():
    answers = iter(
        [
            httpx.Response(
                429, json={"error": {"message": "slow down"}}, headers=LIMITED
            ),
            httpx.Response(200, json=completion("Hi")),
        ]
    )
    waits: list[float] = []
    llm = ChatSambaNova(
        api_key="k",
        http_client=httpx.Client(
            transport=httpx.MockTransport(lambda r: next(answers))
        ),
        rate_limit_pacing=False,  # the retry's own wait, alone
    )
    llm._retry_policy = RetryPolicy(sleep=waits.append)
    assert llm.invoke("hi").content == "Hi"
    assert waits == [3.5]
