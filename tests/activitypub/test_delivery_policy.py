"""Mastodon's rules for failed deliveries: the retry schedule, and which answers end a delivery at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from activitypub.delivery_policy import MAX_ATTEMPTS, RETRIES, Verdict, judge, retry_delay
from shared.outbound import OutboundError


def test_sixteen_retries_span_about_three_days() -> None:
    assert (RETRIES, MAX_ATTEMPTS) == (16, 17)
    attempts = range(1, MAX_ATTEMPTS)
    shortest = sum((retry_delay(n, 0.0) for n in attempts), timedelta())
    longest = sum((retry_delay(n, 1.0) for n in attempts), timedelta())
    average = sum((retry_delay(n, 0.5) for n in attempts), timedelta())
    assert timedelta(days=2.0) < shortest < timedelta(days=2.1)
    assert timedelta(days=3.0) < longest < timedelta(days=3.2)
    assert timedelta(days=2.5) < average < timedelta(days=2.7)


def test_the_waits_grow_from_seconds_to_hours() -> None:
    waits = [retry_delay(n, 0.0) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:3] == [timedelta(seconds=15), timedelta(seconds=16), timedelta(seconds=31)]
    assert waits[-1] == timedelta(seconds=15**4 + 15)  # about 14 hours
    assert waits == sorted(waits)
    assert retry_delay(4, 1.0) == timedelta(seconds=3**4 * 1.5 + 15)


@pytest.mark.parametrize(
    ("status", "retryable", "verdict"),
    [
        (500, True, Verdict.RETRY),
        (503, True, Verdict.RETRY),
        (408, True, Verdict.RETRY),
        (429, True, Verdict.RETRY),
        (401, False, Verdict.RETRY),
        (501, True, Verdict.DEAD),
        (400, False, Verdict.DEAD),
        (403, False, Verdict.DEAD),
        (404, False, Verdict.DEAD),
        (301, False, Verdict.DEAD),
        (410, False, Verdict.GONE),
        (None, True, Verdict.RETRY),  # a timeout, a lost connection
        (None, False, Verdict.DEAD),  # an address the guard refuses
    ],
)
def test_what_an_answer_means(status: int | None, retryable: bool, verdict: Verdict) -> None:
    assert judge(OutboundError("https://peer.example/inbox", "x", status=status, retryable=retryable)) is verdict
