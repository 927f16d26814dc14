"""Artifact paths and the content-addressed blob directory behind them.

A run's artifacts are rows (run, relative path) -> sha256 digest; the bytes live once
per digest under the store root, however many runs or paths name them. Paths come from
users and are checked here, once, before they touch the database or the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from urllib.parse import unquote

from cairn.errors import ArtifactError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")


def check_path(path: str) -> str:
    """``path`` as a clean relative POSIX path, or :class:`ArtifactError` if it could escape.

    Rejected: empty, absolute (``/x``, ``\\x``, ``C:x``), ``..``, ``.`` or empty segments,
    NUL bytes, and any of these hidden behind percent-encoding (``%2e%2e``, ``%252e``).
    """
    if not isinstance(path, str) or not path:
        raise ArtifactError("an artifact path must be a non-empty relative path")
    decoded, previous = path, None
    while decoded != previous:  # undo nested encodings such as %252e -> %2e -> .
        previous, decoded = decoded, unquote(decoded)
    for candidate in (path, decoded):
        if "\x00" in candidate:
            raise ArtifactError(f"artifact path {path!r} contains a NUL byte")
        if candidate.startswith(("/", "\\")) or _DRIVE.match(candidate):
            raise ArtifactError(f"artifact path {path!r} is absolute; give a path relative to the run")
        if any(part in ("", ".", "..") for part in re.split(r"[\\/]", candidate)):
            raise ArtifactError(f"artifact path {path!r} has an empty, '.' or '..' part; it must stay inside the run")
    return path


def join_path(*parts: str | None) -> str:
    """Join artifact path parts, skipping empty ones, and check the result."""
    return check_path("/".join(p.strip("/") for p in parts if p))


def files_to_log(source: Path) -> list[tuple[Path, str]]:
    """(file, path relative to ``source``) for a file or every file under a directory.

    Links are read as the files they point to while they stay inside ``source``; a link
    out of it is refused, so logging a directory never copies what lies outside it.
    Linked directories inside it are not followed (their files are logged where they are).
    """
    if not source.exists():
        raise ArtifactError(f"there is no file or directory '{source}' to log")
    if not source.is_dir():
        return [(source, source.name)]
    root = source.resolve()
    found = []
    for folder, dirs, files in os.walk(source):
        for name in [*dirs, *files]:
            entry = Path(folder, name)
            if entry.is_symlink() and not entry.resolve().is_relative_to(root):
                raise ArtifactError(f"'{entry}' links outside '{source}'; cairn does not log what lies outside")
        found += [(Path(folder, f), Path(folder, f).relative_to(source).as_posix()) for f in sorted(files)]
    return sorted(found, key=lambda item: item[1])


class BlobStore:
    """Files named by the sha256 of their bytes, so identical content is stored once.

    Writers stage a copy under ``tmp/`` and :meth:`publish` it with an atomic rename;
    readers only ever see whole blobs.
    """

    def __init__(self, root: Path):
        self.root = root.resolve()

    def path(self, digest: str) -> Path:
        """Where a blob lives; refuses anything but a sha256 and links out of the root."""
        if not _DIGEST.match(digest):
            raise ArtifactError(f"'{digest}' is not a blob digest")
        path = self.root / digest[:2] / digest
        if path.is_symlink() and not path.resolve().is_relative_to(self.root):
            raise ArtifactError(f"blob {digest[:12]} links outside the store; refusing to read it")
        return path

    def stage(self, source: Path) -> tuple[str, int, Path]:
        """Copy ``source`` into ``tmp/`` while hashing it; return (digest, size, staged copy)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        staged = tmp_dir / uuid.uuid4().hex
        h, size = hashlib.sha256(), 0
        with open(source, "rb") as src, open(staged, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                h.update(block)
                dst.write(block)
                size += len(block)
        return h.hexdigest(), size, staged

    def publish(self, staged: Path, digest: str) -> None:
        """Move a staged copy to its blob path, or drop it if that blob already exists."""
        target = self.path(digest)
        if target.exists():
            staged.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    def digests(self) -> set[str]:
        """Every blob on disk."""
        if not self.root.is_dir():
            return set()
        return {p.name for p in self.root.glob("??/*") if _DIGEST.match(p.name) and p.parent.name == p.name[:2]}

    def remove(self, digest: str) -> int | None:
        """Delete a blob; return the bytes freed (``None`` if it was not there)."""
        path = self.path(digest)
        try:
            size = path.lstat().st_size
            path.unlink()
        except FileNotFoundError:
            return None
        try:
            path.parent.rmdir()
        except OSError:
            pass  # other blobs share the folder
        return size

    def remove_stale_staging(self, older_than: float = 3600.0) -> None:
        """Drop staged copies a crashed writer left behind."""
        tmp_dir = self.root / "tmp"
        if not tmp_dir.is_dir():
            return
        cutoff = time.time() - older_than
        for staged in tmp_dir.iterdir():
            if staged.stat().st_mtime < cutoff:
                staged.unlink(missing_ok=True)

    def copy_out(self, digest: str, target: Path) -> None:
        """Copy a blob to ``target``, creating its folder."""
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(digest), target)
