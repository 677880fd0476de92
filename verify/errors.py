"""Typed errors. Messages are one line and say what to do next; only the CLI prints them."""


class VerifyError(Exception):
    """Base class of every error the library raises on purpose."""


class InputError(VerifyError):
    """Bad input from the user: a missing file, an empty article, a malformed row."""


class InvalidURLError(InputError):
    """Not an http(s) URL."""


class NotFoundError(VerifyError):
    """An id or URL that is not in the database."""


class ConflictError(VerifyError):
    """The action clashes with the current state (someone else's lease, a decided claim)."""


class ForbiddenError(VerifyError):
    """The actor's account may not take this action (its role is too low, or it is not an
    active account)."""


class FetchError(VerifyError):
    """A fetch failed; `kind` is one of the fixed error kinds stored on the snapshot."""

    kind = "unsupported"

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class BlockedAddressError(FetchError):
    kind = "blocked_address"


class TooLargeError(FetchError):
    kind = "too_large"


class RobotsError(FetchError):
    kind = "robots"


class RedirectLoopError(FetchError):
    kind = "redirect_loop"


class AuthError(VerifyError):
    """The web UI cannot start safely (no authentication on a public address)."""


class ClusterError(VerifyError):
    """The cluster engine (a Dask scheduler) cannot be reached or went away: the command stops,
    and what it stored so far is kept (run it again to resume)."""
