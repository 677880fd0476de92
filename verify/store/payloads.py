"""Payloads: the bytes of captures, stored once per sha256, zstd-compressed."""

from __future__ import annotations

import hashlib

import zstandard
from sqlite_utils import Database

from verify.clock import now
from verify.errors import NotFoundError

_zc = zstandard.ZstdCompressor(level=6)


def put_payload(db: Database, data: bytes) -> str:
    """Store bytes once per sha256 (zstd-compressed); returns the hex digest."""
    digest = hashlib.sha256(data).hexdigest()
    db.conn.execute(
        "INSERT OR IGNORE INTO payloads (sha256, size, compression, data, created_at) VALUES (?, ?, 'zstd', ?, ?)",
        [digest, len(data), _zc.compress(data), now()],
    )
    return digest


def get_payload(db: Database, sha256: str) -> bytes:
    row = db.conn.execute(
        "SELECT compression, data FROM payloads WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no payload with sha256 {sha256}")
    compression, data = row
    if compression == "zstd":
        return zstandard.ZstdDecompressor().decompress(data)
    return bytes(data)
