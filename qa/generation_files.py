"""The files a generation keeps beside the database: its FAISS file and its catalog directory.

    vectors-<gen>.faiss    chunk ids -> vectors (its sha256 is recorded in the generations row)
    catalog-<gen>/         what retrieval keeps in memory; manifest.json lists each file's sha256

Both are derived from SQLite and rebuilt from it when missing or damaged. Every file is written
under a temporary name, fsynced and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from embeddings.index import VectorIndex, file_sha256, fsync, install_file, temp_path

MANIFEST = "manifest.json"
_GENERATION_FILE_RE = re.compile(r"(?:vectors|catalog)-(\d{6,})(?:\.faiss)?")


class CatalogFileError(RuntimeError):
    """A generation's catalog directory is missing, incomplete or altered (it is rebuilt)."""


def catalog_name(generation_id: int) -> str:
    return f"catalog-{generation_id:06d}"


def faiss_name(generation_id: int) -> str:
    return f"vectors-{generation_id:06d}.faiss"


class GenerationFiles:
    """The generation files of one index directory."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def write_vectors(self, index: VectorIndex, name: str) -> str:
        """Install `index` as `name` durably; return the file's sha256."""
        tmp, checksum = index.write_temp(self.index_dir / name)
        install_file(tmp, self.index_dir / name)
        return checksum

    def install_catalog(self, generation_id: int, write: Callable[[Path], None]) -> None:
        """Write a generation's catalog durably before it is published.

        `write` fills an empty temporary directory; every file is then fsynced and listed with
        its sha256 in a manifest, and the directory renamed into place.
        """
        final = self.index_dir / catalog_name(generation_id)
        tmp = temp_path(final)
        for leftover in (tmp, final):  # of a killed run that used the same generation id
            shutil.rmtree(leftover, ignore_errors=True)
        tmp.mkdir()
        write(tmp)
        manifest = {}
        for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
            fsync(path)
            manifest[path.relative_to(tmp).as_posix()] = file_sha256(path)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        fsync(tmp / MANIFEST)
        for directory in sorted({p.parent for p in tmp.rglob("*")}, reverse=True):
            fsync(directory)
        install_file(tmp, final)

    def checked_catalog(self, generation_id: int) -> Path:
        """The catalog directory of a generation, every file checked against its manifest.

        Raises:
            CatalogFileError: missing, a file missing or extra, or one that does not match.
        """
        directory = self.index_dir / catalog_name(generation_id)
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
            files = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
            if files != {*manifest, MANIFEST}:
                raise CatalogFileError(f"{directory} does not hold the files its manifest lists")
            for name, checksum in manifest.items():
                if file_sha256(directory / name) != checksum:
                    raise CatalogFileError(f"{directory / name} does not match its checksum")
        except (OSError, ValueError) as exc:
            raise CatalogFileError(f"Cannot read the chunk catalog in {directory}: {exc}") from exc
        return directory

    def newest_generation(self) -> int | None:
        """The highest generation id any FAISS file or catalog on disk is named for."""
        ids = [
            int(match.group(1))
            for path in self.index_dir.iterdir()
            if (match := _GENERATION_FILE_RE.fullmatch(path.name))
        ]
        return max(ids, default=None)

    def clean(self, keep: Iterable[str]) -> list[str]:
        """Delete every FAISS file, catalog and temporary file whose name is not in `keep`.

        Returns the names deleted."""
        wanted = set(keep)
        deleted = []
        for path in sorted([*self.index_dir.glob("vectors-*.faiss*"), *self.index_dir.glob("catalog-*")]):
            if path.name not in wanted:
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
                deleted.append(path.name)
        return deleted
