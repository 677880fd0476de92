"""URL validation and normalisation: one URL is one source."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from verify.errors import InvalidURLError

TRACKING_PREFIXES = ("utm_",)
TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "gclsrc",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "yclid",
    "igshid",
    "_ga",
    "_gl",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "twclid",
    "ref_src",
    "s_cid",
    "__hssc",
    "__hstc",
    "__hsfp",
    "hsctatracking",
}
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Validate an http(s) URL and return its canonical form: scheme and host lower-case,
    default port, fragment and tracking parameters dropped, empty path as '/'.
    Raises InvalidURLError for anything that is not an absolute http(s) URL."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidURLError("empty URL: give an absolute http:// or https:// URL")
    raw = url.strip()
    if any(ch in raw for ch in "\r\n\t\x00"):
        raise InvalidURLError(f"not a URL: {raw[:80]!r} contains control characters")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if scheme:
            raise InvalidURLError(
                f"only http and https URLs can be sources, not {scheme}: ({raw[:80]})"
            )
        raise InvalidURLError(f"not a URL: {raw[:80]!r} (give an absolute http:// or https:// URL)")
    try:
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"not a URL: {raw[:80]!r} ({exc})") from exc
    if not host:
        raise InvalidURLError(f"not a URL: {raw[:80]!r} has no host")
    host = host.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise InvalidURLError(f"not a URL: {raw[:80]!r} has an invalid host name") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.username or parts.password:
        raise InvalidURLError(f"URLs with a user name or password are not accepted: {raw[:80]}")
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/%:@!$&'()*+,;=-._~") or "/"
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower().startswith(TRACKING_PREFIXES) or k.lower() in TRACKING_PARAMS)
    ]
    query = urlencode(query_pairs, doseq=True, quote_via=quote, safe="/:@!$'()*,;-._~")
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """Host (with non-default port) of a normalised URL."""
    return urlsplit(url).netloc
