"""verify 0.1's flat module paths (`verify.evidence`, `verify.fetch`, ...), kept working for one
release: importing one gives the module at its new place and a DeprecationWarning that names it.
The packages that took an old module's name (`verify.capture`, `verify.review`, ...) forward the
old module's names themselves (see their `__getattr__`)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

# old path -> new path
MOVED: dict[str, str] = {
    "verify.extract": "verify.text.extract",
    "verify.checkworthy": "verify.text.checkworthy",
    "verify.quantities": "verify.text.quantities",
    "verify.matchkeys": "verify.text.matchkeys",
    "verify.quotes": "verify.text.quotes",
    "verify.fetch": "verify.capture.fetch",
    "verify.netguard": "verify.capture.netguard",
    "verify.browser": "verify.capture.browser",
    "verify.replay": "verify.capture.replay",
    "verify.mementos": "verify.webarchives.mementos",
    "verify.recover": "verify.webarchives.recover",
    "verify.save": "verify.webarchives.save",
    "verify.watch": "verify.webarchives.watch",
    "verify.claims": "verify.ingest.claims",
    "verify.team": "verify.review.team",
    "verify.users": "verify.review.accounts",
    "verify.evidence": "verify.review.evidence",
    "verify.similar": "verify.review.similar",
    "verify.search": "verify.review.search",
    "verify.claimreview": "verify.review.known",
    "verify.warc": "verify.export.warc",
    "verify.wacz": "verify.export.wacz",
    "verify.demo_archive": "verify.demo.webarchive",
    "verify.web.team_views": "verify.web.views.team",
    "verify.web.archived": "verify.web.views.archived",
    "verify.web.queries": "verify.web.pages",
    "verify.capture_policy": "verify.capture.policy",
    "verify.cluster": "verify.capture.cluster",
    "verify.aliases": "verify.text.aliases",
    "verify.lemmas": "verify.text.lemmas",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        return None


class _OldPaths(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        warnings.warn(
            f"{fullname} moved to {new}; the old path goes away in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(f, _OldPaths) for f in sys.meta_path):
        sys.meta_path.append(_OldPaths())


def forward(package: str, module: str, name: str) -> object:
    """A package's `__getattr__`: the public names of the module that does the package's main job
    (`verify.capture.capture` is `verify.capture.engine.capture`), looked up on first use so that
    importing the package imports nothing else."""
    if name.startswith("_"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    if importlib.util.find_spec(f"{package}.{name}") is not None:  # a submodule, not a name
        value: object = importlib.import_module(f"{package}.{name}")
    else:
        try:
            value = getattr(importlib.import_module(module), name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    setattr(sys.modules[package], name, value)  # found once: later look-ups skip this function
    return value
