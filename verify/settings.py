"""Settings kept inside the archive (the `settings` table), so every command and the web UI
working on one database agree: what `verify config` lists, shows and changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from verify import store
from verify.errors import InputError
from verify.review import accounts as users

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


def _capture_mode(value: str) -> str:
    from verify.model import CAPTURE_MODES, check_choice

    return check_choice(value.strip().lower(), CAPTURE_MODES, "capture_mode")


def _on_off(key: str) -> Callable[[str], str]:
    """A validator for an on/off setting called `key`."""

    def check(value: str) -> str:
        word = value.strip().lower()
        if word in ("on", "yes", "true", "1"):
            return "on"
        if word in ("off", "no", "false", "0"):
            return "off"
        raise InputError(f"{key} is on or off, not {value!r}")

    return check


LOCAL_CLUSTER = "local"  # a cluster address that means: this machine's threads


def check_cluster_address(address: str) -> str:
    """`local`, or a Dask scheduler address tcp://HOST:PORT (HOST:PORT gets tcp://)."""
    text = address.strip()
    if text.lower() == LOCAL_CLUSTER:
        return LOCAL_CLUSTER
    if "://" not in text:
        text = "tcp://" + text
    scheme, _, rest = text.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls", "ws", "wss") or not host or not port.isdigit():
        raise InputError(
            f"a cluster address is tcp://HOST:PORT (the Dask scheduler's) or local, not {address!r}"
        )
    return text


def _days(value: str) -> str:
    try:
        days = float(value.strip())
    except ValueError:
        raise InputError(f"give a number of days, not {value!r}") from None
    if not 0.01 <= days <= 3650:
        raise InputError(f"give a number of days between 0.01 and 3650, not {days:g}")
    return f"{days:g}"


def _archives(value: str) -> str:
    from verify.webarchives.mementos import check_archives_setting

    return check_archives_setting(value)


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
            _on_off("require_approval"),
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
        Setting(
            "capture_mode",
            "how `verify fetch` captures: static, browser or auto (browser when the text is thin)",
            "auto",
            _capture_mode,
        ),
        Setting(
            "screenshots",
            "on: auto mode renders every HTML page in the browser, for its screenshot",
            "off",
            _on_off("screenshots"),
        ),
        Setting(
            "recover",
            "on: `verify fetch` also looks up gone or failed sources in web archives",
            "off",
            _on_off("recover"),
        ),
        Setting(
            "cluster",
            "the Dask scheduler `verify fetch`, `watch` and `recover` run their network work on"
            " (tcp://HOST:8786; local: this machine)",
            None,
            check_cluster_address,
        ),
        Setting(
            "archives",
            "extra Memento archives for `verify recover`: NAME=TIMEMAP_PREFIX, comma-separated",
            None,
            _archives,
        ),
        Setting("watch_live_days", "`verify watch` re-checks a working source after", "7", _days),
        Setting(
            "watch_failing_days", "`verify watch` re-checks a failing source after", "3", _days
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
