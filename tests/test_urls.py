import pytest
from conftest import NOT_HTTP_URLS

from verify.errors import InvalidURLError
from verify.urls import normalize_url


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("HTTP://Example.ORG:80/a?utm_source=x&b=2#frag", "http://example.org/a?b=2"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org:443/x?fbclid=abc&gclid=1", "https://example.org/x"),
        ("http://x.org:8080/p%20q", "http://x.org:8080/p%20q"),
        ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
    ],
)
def test_normalise(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize("bad", [*NOT_HTTP_URLS, "http://"])
def test_refused(bad):
    with pytest.raises(InvalidURLError):
        normalize_url(bad)
