"""verify: claims, their sources, snapshots of the evidence, and a review queue."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("verify")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

USER_AGENT = f"verify/{__version__} (source-verification tracker for fact-checkers)"

# verify 0.1's flat module paths (verify.evidence, verify.fetch, ...) still import, with a
# DeprecationWarning naming the new place (verify/oldpaths.py); they go in the next release.
from verify import oldpaths as _oldpaths  # noqa: E402

_oldpaths.install()
