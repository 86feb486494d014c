"""Model Monitor schedules: the cron forms it accepts and how often each runs (pure)."""

from __future__ import annotations

import re
from typing import Optional

from .errors import Problem

__all__ = ["check_schedule_expression", "HOURLY", "schedule_interval_seconds", "SCHEDULES_ALLOWED"]

HOURLY = "cron(0 * ? * * *)"

_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 (\d{1,2}) \? \* \* \*\)$")
_EVERY_N_HOURS = re.compile(r"^cron\(0 (\d{1,2})/(\d{1,2}) \? \* \* \*\)$")

SCHEDULES_ALLOWED = (
    "hourly cron(0 * ? * * *), daily cron(0 H ? * * *) or every N hours cron(0 H/N ? * * *), "
    "with H 0-23 and N 1-24; rate() and NOW are not Model Monitor schedules"
)


def schedule_interval_seconds(expression: str) -> Optional[int]:
    """Seconds between Model Monitor runs for an expression it accepts; None otherwise."""
    if _HOURLY.match(expression):
        return 3600
    daily = _DAILY.match(expression)
    if daily:
        return 86_400 if int(daily.group(1)) <= 23 else None
    every = _EVERY_N_HOURS.match(expression)
    if every:
        start, hours = int(every.group(1)), int(every.group(2))
        return hours * 3600 if start <= 23 and 1 <= hours <= 24 else None
    return None


def check_schedule_expression(path: str, expression: str) -> list[Problem]:
    if schedule_interval_seconds(expression) is None:
        return [Problem(path, f"is not a schedule Model Monitor accepts ({SCHEDULES_ALLOWED})", expression)]
    return []
