"""Content-addressed storage of uploaded files under the data directory.

A file's name is the SHA-256 of its bytes, so the same page sent twice is stored once, a
stored file can be checked against its case record, and a name reveals nothing about the person.

Because one file may serve several cases and dialogs, nothing deletes a file without first
checking that nothing refers to it any more (`bot.privacy.files`); a file's modification time
says when it was last stored, so a deletion decided before that moment can be called off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

INCOMING_PREFIX = ".incoming-"


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.exists():
            try:
                os.utime(target)  # stored again now: a deletion decided earlier must spare it
                return digest
            except FileNotFoundError:  # deleted in between: store it again
                pass
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=INCOMING_PREFIX)
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, target)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str, *, unless_stored_since: float | None = None) -> bool:
        """Remove a file; with `unless_stored_since` (a time.time() value), keep it if it was
        stored again from that moment on. True when a file was removed."""
        return self.remove(self.path(sha256), unless_stored_since)

    @staticmethod
    def remove(path: Path, unless_stored_since: float | None = None) -> bool:
        try:
            if unless_stored_since is not None and path.stat().st_mtime >= unless_stored_since:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def stored(self) -> Iterator[tuple[str, Path]]:
        """Every file of the store with its name, downloads in progress included (their name
        starts with `INCOMING_PREFIX`)."""
        if not self.root.exists():
            return
        for path in self.root.rglob("*"):
            if path.is_file():
                yield path.name, path

    def incoming(self, limit: int) -> Incoming:
        """A file arriving in pieces, written to disk as it comes (never whole in memory)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return Incoming(self, limit)


class TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"more than the limit ({size} bytes so far)")
        self.size = size


class Incoming:
    """Bytes being downloaded: hashed and counted on the way, kept under their hash by `keep`,
    removed by `discard` (or when the `with` block ends without `keep`)."""

    HEAD = 16

    def __init__(self, store: FileStore, limit: int) -> None:
        self.store = store
        self.limit = limit
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()
        handle, self._temporary = tempfile.mkstemp(dir=store.root, prefix=INCOMING_PREFIX)
        self._stream = os.fdopen(handle, "wb")
        self._kept = False

    def __enter__(self) -> Incoming:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._kept:
            self.discard()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(self.size)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        self._hash.update(chunk)
        self._stream.write(chunk)

    def keep(self) -> str:
        self._stream.close()
        digest = self._hash.hexdigest()
        target = self.store.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temporary, target)
        self._kept = True
        return digest

    def discard(self) -> None:
        self._stream.close()
        Path(self._temporary).unlink(missing_ok=True)
