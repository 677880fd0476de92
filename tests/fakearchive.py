"""The test suite's fake web archive: verify.demo.webarchive.FakeArchive (CDX, raw replay,
TimeMap, Save Page Now on 127.0.0.1, port 0) plus the ways real archives misbehave, and a
standard set of mementos of a test site's pages.

Faults (`fault`): 'garbage' (the CDX answer is HTML, not JSON), 'empty' (an empty body),
'huge' (a CDX answer bigger than the client's cap), 'timeout' (every answer takes longer than
the client's deadline), 'error' (HTTP 503), 'drop' (the connection is closed without an
answer). `fault_paths` limits a fault to requests whose path starts with one of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from verify.demo.webarchive import FakeArchive

REFERENCE_DATE = "2015-11-23"  # the test article's publication date


def page(title: str, text: str) -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1><p>{text}</p></article></body></html>"
    )


@dataclass
class FaultyArchive(FakeArchive):
    fault: str | None = None
    fault_paths: tuple[str, ...] = ()
    hang_seconds: float = 30.0
    huge_rows: int = 200_000

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
        fault = self.fault
        if fault and (not self.fault_paths or path.startswith(self.fault_paths)):
            with self.lock:
                self.requests.append((method, path, headers))
            if fault == "timeout":
                self.stopping.wait(self.hang_seconds)
                return 200, {"Content-Type": "application/json"}, b"[]"
            if fault == "garbage":
                return 200, {"Content-Type": "text/html"}, b"<html><body>Service busy</body></html>"
            if fault == "empty":
                return 200, {"Content-Type": "application/json"}, b""
            if fault == "huge":
                row = b'["20150101000000","http://x.example/","text/html","200","AAAA","1"],'
                body = b'[["timestamp","original","mimetype","statuscode","digest","length"],'
                body += row * self.huge_rows + b'["20150101000000","x","t","200","A","1"]]'
                return 200, {"Content-Type": "application/json"}, body
            if fault == "error":
                return 503, {"Content-Type": "text/plain"}, b"unavailable\n"
            if fault == "drop":
                return -1, {}, b""
        return super().answer(method, path, headers)


@dataclass
class ArchivedPages:
    """URLs of the test site's pages, each archived in a different way."""

    closest: str  # captures on 2015-11-01, 2015-11-20 and 2015-12-10: 2015-11-20 wins
    only_404: str  # archived only as a 404, then a 200 long after: the 200 is taken, 'after'
    redirect: str  # archived as a redirect to `redirect_target`
    redirect_target: str
    only_after: str  # captured only after the reference date
    mismatch: str  # the index digest is not the digest of the bytes
    never: str  # never archived
    extra: list[str] = field(default_factory=list)


def archive_test_pages(archive: FakeArchive, base: str) -> ArchivedPages:
    """Mementos of pages of the site at `base` (the pages themselves need not exist there)."""
    p = ArchivedPages(
        closest=f"{base}/news/hostages.html",
        only_404=f"{base}/news/deleted.html",
        redirect=f"{base}/old/report.html",
        redirect_target=f"{base}/new/report.html",
        only_after=f"{base}/news/later.html",
        mismatch=f"{base}/news/mismatch.html",
        never=f"{base}/news/never-archived.html",
    )
    archive.add(
        p.closest, "20151101120000", page("Early", "Gunmen held 100 hostages, early count.")
    )
    archive.add(
        p.closest, "20151120093000", page("Siege", "Gunmen held 170 hostages at the hotel.")
    )
    archive.add(p.closest, "20151210080000", page("Late", "The hotel reopened in December."))
    archive.add(p.only_404, "20151115000000", "<title>404</title>gone", status=404)
    archive.add(p.only_404, "20160301000000", page("Back", "The page came back in March 2016."))
    archive.add(
        p.redirect, "20151118000000", "", status=301, location=p.redirect_target,
        content_type="text/html",
    )  # fmt: skip
    archive.add(p.redirect_target, "20151118000500", page("Report", "At least 22 people died."))
    archive.add(p.only_after, "20170505000000", page("Later", "Captured long after the article."))
    archive.add(
        p.mismatch, "20151119000000", page("Mismatch", "The UN mission has the most casualties."),
        digest="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )  # fmt: skip
    return p
