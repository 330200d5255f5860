"""FAISS vector indexes over int64 ids: build, search, save atomically, load with a checksum."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# The first four bytes of a FAISS file name its index type; this one is IndexIDMap2.
_EXACT_FOURCC = b"IxM2"


class IndexFileError(RuntimeError):
    """A FAISS file is missing, truncated or does not match its recorded checksum."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class VectorIndex:
    """Inner-product search over normalised vectors, each with an int64 id."""

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        if dimension <= 0:
            raise ValueError(f"dimension must be positive, not {dimension}")
        self.dimension = dimension
        # Any: faiss's stubs describe the C++ classes, not the Python wrapper's numpy signatures
        # (remove_ids with an id array) nor the concrete classes downcast_index returns.
        self._index: Any = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        ivf: Any = faiss.try_extract_index_ivf(self._index)
        if ivf is not None and ivf.direct_map.type == ivf.direct_map.NoMap:
            # An id-to-entry table, so that `vectors` looks ids up (about a tenth of a second
            # per million vectors; add and remove keep it up to date).
            ivf.set_direct_map_type(ivf.direct_map.Hashtable)

    @classmethod
    def build(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex:
        index = cls(dimension)
        index.add(ids, vectors)
        return index

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(ids) != len(vectors):
            raise ValueError(
                f"expected {len(ids)} vectors of dimension {self.dimension}, got shape {vectors.shape}"
            )
        if len(ids):
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove vectors by id; return how many were removed."""
        return int(self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def search(
        self, queries: np.ndarray, k: int, *, among: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids, best first, shape (len(queries), k); missing slots have id -1. With
        `among` (ids), only those ids are scored: a filtered search that reaches k of them
        without ranking the whole index first."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if len(self) == 0 or k <= 0 or (among is not None and not len(among)):
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        if among is None:
            return self._index.search(queries, min(k, len(self)))
        among = np.asarray(among, dtype=np.int64)
        if among.min() < 0:
            raise ValueError("ids to search among must not be negative")
        # One bit per id up to the largest (FAISS's own layout: id i is bit i % 8 of byte i // 8);
        # a million ids take 125 KB and a test per scanned vector.
        member = np.zeros(int(among.max()) + 1, dtype=bool)
        member[among] = True
        bitmap = np.packbits(member, bitorder="little")
        # Any: the Python wrapper takes the bitmap as an array and the parameters as keywords;
        # faiss's stubs describe the C++ constructors.
        wrapper: Any = faiss
        selector = wrapper.IDSelectorBitmap(bitmap)
        ivf = faiss.try_extract_index_ivf(self._index)
        params = (
            wrapper.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None
            else wrapper.SearchParameters(sel=selector)
        )
        return self._index.search(queries, min(k, len(among)), params=params)

    @property
    def nlist(self) -> int:
        """Clusters of an approximate (IVF) index; 0 for exact search."""
        ivf = faiss.try_extract_index_ivf(self._index)
        return int(ivf.nlist) if ivf is not None else 0

    def ids(self) -> np.ndarray:
        """The ids in the index (a copy)."""
        return self.contents()[0]

    def contents(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything in the index, for rebuilding it as another kind."""
        ivf = faiss.try_extract_index_ivf(self._index)
        if ivf is None:
            mapped: Any = faiss.downcast_index(self._index)
            ids = faiss.vector_to_array(mapped.id_map).astype(np.int64)
            flat = faiss.downcast_index(mapped.index)
            return ids, flat.reconstruct_n(0, len(ids)).reshape(len(ids), self.dimension)
        lists: Any = ivf.invlists
        all_ids, all_vectors = [], []
        for list_no in range(ivf.nlist):
            size = lists.list_size(list_no)
            if size:
                all_ids.append(faiss.rev_swig_ptr(lists.get_ids(list_no), size).copy())
                codes = faiss.rev_swig_ptr(lists.get_codes(list_no), size * lists.code_size)
                vectors = np.frombuffer(codes.copy(), dtype=np.float32)
                all_vectors.append(vectors.reshape(size, self.dimension))
        if not all_ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(all_ids).astype(np.int64), np.vstack(all_vectors)

    def save(self, path: Path) -> str:
        """Write to a temporary name, fsync, rename over `path`; return the file's sha256."""
        tmp, checksum = self.write_temp(path)
        install_file(tmp, path)
        return checksum

    def write_temp(self, path: Path) -> tuple[Path, str]:
        """Write `path` + ".tmp" and fsync it; return (temporary path, sha256).

        The first half of `save`, for callers that do work between the write and the rename.
        """
        tmp = temp_path(path)
        faiss.write_index(self._index, str(tmp))
        fsync(tmp)
        return tmp, file_sha256(tmp)

    @classmethod
    def load(cls, path: Path, *, checksum: str | None = None, mmap: bool = False) -> VectorIndex:
        """Read a saved index; raise IndexFileError when it is missing, damaged or altered.

        By default the file is read once into memory and checked and parsed from there, so a
        file that is replaced or unlinked meanwhile gives either its old bytes or an error,
        never a mix; the index can then be changed. With `mmap` the vectors stay in the file,
        mapped read-only: start-up reads nothing twice, and processes serving the same index
        share its pages through the page cache. Such an index cannot be changed. Published
        files are never written after their rename, so a mapping stays valid even when a newer
        generation unlinks the file.
        """
        try:
            index = _read_mapped(path, checksum) if mmap else _read_whole(path, checksum)
        except IndexFileError:
            raise
        except FileNotFoundError as exc:
            raise IndexFileError(f"{path} is missing") from exc
        except OSError as exc:
            raise IndexFileError(f"{path} cannot be read: {exc}") from exc
        except RuntimeError as exc:  # FAISS's own errors for a file it cannot parse
            raise IndexFileError(f"{path} cannot be read by FAISS: {exc}") from exc
        return cls(index.d, index)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids` (each must be in the index), shape (len(ids), dimension).

        Looked up by id, not scanned: the re-ranker reads a few hundred per question.
        """
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        try:
            return self._index.reconstruct_batch(ids).reshape(len(ids), self.dimension)
        except RuntimeError as exc:  # FAISS's error for an id it does not hold
            raise KeyError(f"an id of {ids.tolist()[:10]}... is not in the index") from exc


def _checked(path: Path, actual: str, checksum: str) -> None:
    if actual != checksum:
        raise IndexFileError(f"{path} does not match its recorded checksum (damaged or truncated)")


def _read_whole(path: Path, checksum: str | None) -> faiss.Index:
    """Read once into memory, check and parse those bytes (a changeable index)."""
    data = np.fromfile(path, dtype=np.uint8)
    if checksum is not None:
        _checked(path, hashlib.sha256(data.data).hexdigest(), checksum)
    return faiss.deserialize_index(data)


def _read_mapped(path: Path, checksum: str | None) -> faiss.Index:
    """Check the file, then map it read-only."""
    if checksum is not None:
        _checked(path, file_sha256(path), checksum)
    with path.open("rb") as f:
        kind = f.read(4)
    # An exact index (IDMap2 over flat codes) maps its codes with MMAP_IFC; an IVF index
    # maps its inverted lists with MMAP (each flag alone reads the other kind whole).
    flag = faiss.IO_FLAG_MMAP_IFC if kind == _EXACT_FOURCC else faiss.IO_FLAG_MMAP
    return faiss.read_index(str(path), flag | faiss.IO_FLAG_READ_ONLY)


def temp_path(path: Path) -> Path:
    """Where `save` writes before the rename; such leftovers of a killed writer are safe to delete."""
    return path.with_name(path.name + ".tmp")


def install_file(tmp: Path, path: Path) -> None:
    """Atomically rename `tmp` over `path` and make the rename durable."""
    os.replace(tmp, path)
    fsync(path.parent)


def fsync(path: Path) -> None:
    """Make a file's contents, or a directory's entries (a rename in it), durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def set_search_threads(threads: int) -> None:
    """FAISS OpenMP threads. One is far faster than two for single interactive queries."""
    faiss.omp_set_num_threads(max(1, threads))
