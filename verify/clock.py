"""Time: every timestamp verify writes is ISO-8601 UTC with microseconds
(2026-11-23T19:16:00.000000Z). Actions take an injected moment where waiting matters (leases,
politeness), so tests do not sleep. Pure: no database, no network."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current time as ISO-8601 UTC with microseconds, e.g. 2026-11-23T19:16:00.000000Z."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    """A datetime as verify's ISO-8601 UTC text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """verify's ISO-8601 UTC text back to an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def at_time(moment: datetime | str | None) -> str:
    """The time of an action: now, or the injected moment (a datetime or an ISO text)."""
    if moment is None:
        return now()
    if isinstance(moment, datetime):
        return format_time(moment)
    return format_time(parse_time(moment))
