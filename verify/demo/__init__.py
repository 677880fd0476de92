"""`verify demo`: the sample article and sources (data), served locally, ingested and captured
(run), with a small local web archive for the gone source (webarchive).

`verify.demo.run_demo(...)` and run's other public names are looked up on `verify.demo.run` on
first use."""

from __future__ import annotations

from verify.oldpaths import forward


def __getattr__(name: str) -> object:
    return forward(__name__, "verify.demo.run", name)
