"""PDF text through pypdf."""

from __future__ import annotations

import io

from verify.text.extract.result import Extracted


def read_pdf(body: bytes) -> Extracted:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body), strict=False)
        pages = []
        for page in reader.pages:
            try:
                pages.append((page.extract_text() or "").strip())
            except Exception:  # noqa: BLE001 - one broken page does not lose the others
                continue
        title = None
        try:
            info = reader.metadata
            if info and info.title:
                title = str(info.title).strip() or None
        except Exception:  # noqa: BLE001
            title = None
    except Exception:  # noqa: BLE001 - an unreadable PDF still is a snapshot, with no text
        return Extracted(title=None, text="", kind="pdf")
    text = "\n\n".join(p for p in pages if p)
    return Extracted(title=title, text=text, kind="pdf")
