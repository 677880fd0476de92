"""Capturing sources as snapshots.

One URL -> result, with no database: fetch (HTTP, with the network guard of netguard) and
browser (headless Chromium). Many sources -> snapshots: engine (concurrency, politeness,
storing, change detection), policy (settings -> capture options, the one place that decides
them), cluster (the same run on a Dask cluster), replay (a browser snapshot read back).

`verify.capture.capture(db, ...)`, `verify.capture.CaptureOptions` and the engine's other public
names are looked up on `verify.capture.engine` on first use."""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.capture.engine", name)
