"""What a failed delivery's answer means, and when a delivery is tried again: Mastodon's rules.

Mastodon's ActivityPub::DeliveryWorker (app/workers/activitypub/delivery_worker.rb)
retries a delivery 16 times (`sidekiq_options retry: 16`), retry n (counted
from 0) after `n**4 + 15` seconds plus a jitter of up to `0.5 * n**4`
(its `sidekiq_retry_in`). The 16 retries span 2.1 days without jitter and
3.1 days with the most, 2.6 on average: about 16 tries over about 3 days.

It gives up at once on answers that will not change (JsonLdHelper's
`response_error_unsalvageable?`): 4xx except 401, 408 and 429, and 501. 401
is tried again, since the peer may not have been able to fetch our key. 410
Gone says more: the inbox is gone for good, so its followers go too.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from shared.outbound import OutboundError

RETRIES = 16
MAX_ATTEMPTS = RETRIES + 1


class Verdict(StrEnum):
    RETRY = "retry"
    DEAD = "dead"
    GONE = "gone"


def judge(error: OutboundError) -> Verdict:
    """What to do about a delivery that failed with `error` (after any change of signature scheme)."""
    if error.status == 410:
        return Verdict.GONE
    if error.status == 401:
        return Verdict.RETRY
    if error.status == 501:
        return Verdict.DEAD
    # The guarded client marks as retryable what may pass (timeouts, lost connections, 408, 429, 5xx);
    # the rest (other 4xx, a redirect, an address the guard refuses) will answer the same next time.
    return Verdict.RETRY if error.retryable else Verdict.DEAD


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """How long after its `attempts`-th failed try (1 for the first) a delivery is tried again.

    `jitter`, from 0 to 1, picks the point in Mastodon's random range; spread
    out, deliveries that failed together do not all come back at once.
    """
    n = attempts - 1
    return timedelta(seconds=n**4 + 15 + jitter * 0.5 * n**4)
