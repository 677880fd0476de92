"""Settings kept inside the archive (the `settings` table), so every command and the web UI
working on one database agree: what `verify config` lists, shows and changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from . import store, users
from .errors import InputError

DEFAULT_LEASE_MINUTES = 30


def _positive_minutes(value: str) -> str:
    try:
        minutes = int(value.strip())
    except ValueError:
        raise InputError(
            f"lease_minutes must be a whole number of minutes, not {value!r}"
        ) from None
    if not 1 <= minutes <= 7 * 24 * 60:
        raise InputError(f"lease_minutes must be between 1 and 10080 (one week), not {minutes}")
    return str(minutes)


def _org_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise InputError("org must not be empty")
    if len(name) > 200:
        raise InputError(f"org is {len(name)} characters long: at most 200")
    return name


def _on_off(value: str) -> str:
    word = value.strip().lower()
    if word in ("on", "yes", "true", "1"):
        return "on"
    if word in ("off", "no", "false", "0"):
        return "off"
    raise InputError(f"require_approval is on or off, not {value!r}")


def _http_url(key: str, value: str) -> str:
    from urllib.parse import urlsplit

    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise InputError(f"{key} must be an http(s) URL, not {value!r}")
    return url


def _review_url(value: str) -> str:
    url = _http_url("review_url", value)
    if "{id}" not in url:
        raise InputError(
            f"review_url must contain {{id}}, where each claim's id goes"
            f" (e.g. https://desk.example/checks/{{id}}), not {value!r}"
        )
    try:
        url.format(id=1)
    except (IndexError, KeyError, ValueError):
        raise InputError(f"review_url may hold no braces other than {{id}}: {value!r}") from None
    return url


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    default: str | None
    check: Callable[[str], str]


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "lease_minutes",
            "how long `verify next` hands a claim to a reviewer",
            str(DEFAULT_LEASE_MINUTES),
            _positive_minutes,
        ),  # fmt: skip
        Setting("org", "the publishing organisation named in ClaimReview exports", None, _org_name),
        Setting(
            "org_url",
            "the publishing organisation's web site (ClaimReview author.url)",
            None,
            lambda v: _http_url("org_url", v),
        ),
        Setting(
            "require_approval",
            "on: a verdict is a draft until an editor who did not give it approves it",
            "off",
            _on_off,
        ),
        Setting(
            "review_url",
            "where each published review lives, with {id} for the claim id (ClaimReview url)",
            None,
            _review_url,
        ),
        Setting(
            "archive_url",
            "the public address of `verify serve` (ClaimReview archivedAt: ARCHIVE_URL/archive/ID)",
            None,
            lambda v: _http_url("archive_url", v).rstrip("/"),
        ),
    )
}


def _known(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise InputError(f"unknown setting {key!r}: one of {', '.join(sorted(SETTINGS))}") from None


def list_settings(db: Database) -> list[dict[str, str | None]]:
    """Every known setting: key, value (None when unset), default, help."""
    return [
        {"key": s.key, "value": store.get_setting(db, s.key), "default": s.default, "help": s.help}
        for s in SETTINGS.values()
    ]


def get_value(db: Database, key: str) -> str | None:
    """The stored value of a known setting, or its default."""
    setting = _known(key)
    return store.get_setting(db, key, setting.default)


def set_value(db: Database, key: str, value: str, *, actor: str | None = None) -> str:
    """Check and store one setting; returns the value as stored. Bad input changes nothing.
    With accounts, only an admin may (`actor`)."""
    setting = _known(key)
    clean = setting.check(value)
    users.authorize(db, actor, "settings")
    with store.immediate(db):
        store.set_setting(db, key, clean)
        store.add_event(db, "setting_changed", actor=actor, detail={"key": key, "value": clean})
    return clean


def unset_value(db: Database, key: str, *, actor: str | None = None) -> None:
    """Forget a setting: its default applies again."""
    _known(key)
    users.authorize(db, actor, "settings")
    with store.immediate(db):
        store.delete_setting(db, key)
        store.add_event(db, "setting_changed", actor=actor, detail={"key": key, "value": None})
