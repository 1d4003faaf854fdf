"""The nightly tier review, scheduled by APScheduler inside the server process.

APScheduler 3 knows nothing of other processes, so every server sharing a database fires
the job; the review claims its day in the database first (see
:func:`wholesale.server.services.tiers.review_tiers_once_today`) and only the first claim
reviews. A server started after the day's time has passed tries once at start, so a night
the servers were down is caught up, and a day already reviewed is not reviewed again.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from wholesale.server.domain.clock import MICROS_PER_SECOND, Clock
from wholesale.server.errors import ServiceError
from wholesale.server.services import tiers, unit_of_work

log = logging.getLogger("wholesale.server.jobs")

# A review may start this long after its time (a busy or suspended process) and still run.
MISFIRE_GRACE_SECONDS = 3600


def run_nightly_review(clock: Clock) -> tiers.ReviewCounts | None:
    """Today's review as the system principal; None when the day was already claimed."""
    with unit_of_work.for_system(tiers.REVIEW_JOB, clock) as work:
        return tiers.review_tiers_once_today(work)


def _attempt(clock: Clock) -> None:
    """One scheduled attempt, logged; a failed one leaves the day unclaimed for the next
    attempt (a restart, or any other server's)."""
    try:
        counts = run_nightly_review(clock)
    except ServiceError as exc:
        log.warning("tier review failed and will be tried again at the next start: %s", exc)
        return
    if counts is None:
        log.info("tier review: today's review already ran")
        return
    log.info(
        "tier review: %d promoted, %d demoted, %d unchanged, %d pinned",
        counts.promoted,
        counts.demoted,
        counts.unchanged,
        counts.pinned,
    )


def _past_todays_time(clock: Clock, at: dt.time) -> bool:
    now = dt.datetime.fromtimestamp(clock.now_us() / MICROS_PER_SECOND, dt.UTC)
    return now.time() >= at


def start_scheduler(clock: Clock, at: dt.time) -> BackgroundScheduler:
    """Starts the daily review at ``at`` (UTC), and once now if that time has passed today;
    the caller shuts the scheduler down before closing the database."""
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    scheduler.add_job(
        _attempt,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=dt.UTC),
        args=[clock],
        id=tiers.REVIEW_JOB,
        name="nightly tier review",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    if _past_todays_time(clock, at):
        scheduler.add_job(
            _attempt, args=[clock], id=f"{tiers.REVIEW_JOB}-at-start", name="tier review at start"
        )
    scheduler.start()
    return scheduler
