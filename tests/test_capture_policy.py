"""capture_policy: the archive's settings plus explicit choices become capture options (the one
function `verify fetch` and the web UI's Capture button call), and the one allow-host merge."""

from __future__ import annotations

import pytest
from conftest import Response
from fakearchive import FaultyArchive, page

from verify import settings
from verify.capture import policy as capture_policy
from verify.capture.engine import list_snapshots
from verify.capture.netguard import merge_allow_hosts
from verify.errors import ClusterError, InputError
from verify.ingest import claims

RICH = "<html><head><title>Toll</title></head><body><article><p>{}</p></article></body></html>"


def test_defaults_come_from_the_archive_settings(db) -> None:
    options = capture_policy.capture_options(db, environ={})
    # the setting's default (auto in the product; conftest makes it static for tests that do
    # not ask for a browser, and test_settings checks the product's own default)
    default_mode = settings.SETTINGS["capture_mode"].default
    assert (options.mode, options.screenshots, options.recover) == (default_mode, False, False)
    assert (options.concurrency, options.per_host, options.refetch) == (32, 2, False)
    assert options.fetch.allow_hosts == ()
    assert options.extract_processes == capture_policy.default_extract_processes()

    settings.set_value(db, "capture_mode", "static")
    settings.set_value(db, "screenshots", "on")
    settings.set_value(db, "recover", "on")
    options = capture_policy.capture_options(db, environ={})
    assert (options.mode, options.screenshots, options.recover) == ("static", True, True)


def test_explicit_choices_win_over_the_settings(db) -> None:
    settings.set_value(db, "capture_mode", "static")
    settings.set_value(db, "recover", "on")
    options = capture_policy.capture_options(
        db,
        mode="browser",
        screenshots=False,
        recover=False,
        refetch=True,
        concurrency=3,
        per_host=1,
        delay=0.5,
        ignore_robots=True,
        max_bytes=1000,
        deadline=5.0,
        extract_processes=0,
        environ={},
    )
    assert (options.mode, options.screenshots, options.recover) == ("browser", False, False)
    assert (options.refetch, options.concurrency, options.per_host, options.delay) == (
        True,
        3,
        1,
        0.5,
    )
    assert options.extract_processes == 0
    fetch = options.fetch
    assert (fetch.ignore_robots, fetch.max_bytes, fetch.deadline) == (True, 1000, 5.0)
    assert (fetch.read_timeout, fetch.connect_timeout) == (5.0, 5.0)
    long = capture_policy.capture_options(db, deadline=120.0, environ={}).fetch
    assert (long.read_timeout, long.connect_timeout) == (20.0, 10.0)


def test_one_allow_host_merge_with_the_environment(db) -> None:
    env = {"VERIFY_ALLOW_HOSTS": " intranet.local:8080 ,Example.org,,"}
    assert merge_allow_hosts([" Example.ORG ", "", "a.test"], environ=env) == (
        "example.org",
        "a.test",
        "intranet.local:8080",
    )
    options = capture_policy.capture_options(db, allow_hosts=("a.test",), environ=env)
    assert options.fetch.allow_hosts == ("a.test", "intranet.local:8080", "example.org")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "fast"}, "unknown capture mode 'fast': use one of static, browser, auto"),
        ({"concurrency": 0}, "--concurrency and --per-host must be at least 1"),
        ({"delay": -1.0}, "--delay not negative"),
        ({"max_bytes": 0}, "--max-bytes must be at least 1, not 0"),
        ({"deadline": 0.0}, "--timeout must be more than 0 seconds, not 0"),
    ],
)
def test_bad_choices_are_one_line_errors(db, kwargs, message) -> None:
    with pytest.raises(InputError) as err:
        capture_policy.capture_options(db, environ={}, **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_run_capture_obeys_capture_mode_and_recover(db, site, monkeypatch) -> None:
    site.routes["/robots.txt"] = Response(404, "", content_type="text/plain")
    site.routes["/toll"] = Response(200, RICH.format("At least 22 people died. " * 40))
    archive = FaultyArchive().start()
    try:
        gone = site.url("/gone")
        archive.add(gone, "20260101000000", page("Archived", "Gunmen held 170 hostages."))
        monkeypatch.setenv("VERIFY_ALLOW_HOSTS", "127.0.0.1")
        monkeypatch.setenv("VERIFY_WAYBACK_URL", archive.base)
        claim_id = claims.add_claim(
            db, "At least 22 people died in the siege.", sources=[site.url("/toll"), gone]
        )
        settings.set_value(db, "capture_mode", "static")
        settings.set_value(db, "recover", "on")
        options = capture_policy.capture_options(db, extract_processes=0)
        seen = []
        report = capture_policy.run_capture(db, options, claim_id=claim_id, on_captured=seen.append)
    finally:
        archive.close()
    assert seen == [report.capture]
    assert (report.capture.fetched, report.capture.mode) == (1, "static")
    assert report.recovery is not None and report.recovery.recovered == 1
    snaps = list_snapshots(db)
    modes = [r[0] for r in db.conn.execute("SELECT mode FROM snapshots WHERE origin = 'live'")]
    assert modes == ["static", "static"]
    assert db.conn.execute("SELECT count(*) FROM browser_captures").fetchone()[0] == 0
    assert [s["error"] for s in snaps if s["url"] == gone][0] == "http_error"
    origins = [r[0] for r in db.conn.execute("SELECT origin FROM snapshots ORDER BY id")]
    assert origins.count("archive") == 1


def test_a_cluster_without_the_extra_installed_is_one_clear_error(db, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name)
    )
    options = capture_policy.capture_options(db, cluster="tcp://127.0.0.1:8786", environ={})
    with pytest.raises(ClusterError) as err:
        capture_policy.run_capture(db, options)
    assert str(err.value) == (
        "running on a cluster needs Dask's distributed package: pip install 'verify[cluster]'"
        " (or run with --cluster local)"
    )


def test_the_products_capture_mode_is_auto() -> None:
    """Outside the test suite's static default (conftest), capture_mode defaults to auto."""
    import subprocess
    import sys

    code = "from verify import settings; print(settings.SETTINGS['capture_mode'].default)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "auto"
