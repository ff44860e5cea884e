"""Embeddings of the knowledge base's texts, kept on disk so that a build embeds only what
changed.

Embedding every text of the sample base takes 25 to 60 s of CPU per language; looking a vector
up takes microseconds. A vector is keyed by a hash of the encoder's identity (package, version,
reading) and the exact text, so an edited alternate re-embeds that alternate (and its entry's
joined text) and nothing else, and a new package version never reuses old vectors. Two
folders, one file per encoder (``<encoder>.npz``: ``identity``, ``keys``, ``vectors``):

* the seed, ``knowledge/embeddings/``: shipped with the repository for the texts of
  ``knowledge/*.yaml``, read only (``ivr kb embed`` writes it);
* the cache, ``IVR_KB_EMBEDDINGS`` (default ``IVR_DATA_DIR/kb-embeddings``): the texts the
  seed lacks (admins' edits), rewritten whole and atomically after a build that embedded
  something, with only the texts then in use.

Vectors are stored as float16, half the size; a cosine moves by about 1e-5 (the thresholds
are steps of 0.01). Fresh vectors go through float16 too, so a text scores the same whether
its vector came from the seed or was embedded here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ivr.core.settings import Settings
from ivr.kb.dense import Encoder

log = logging.getLogger(__name__)

BATCH = 16  # texts per encoder call: a call's question waits at most for one batch
Vectors = dict[bytes, np.ndarray]  # key -> float16 row


def key(identity: str, text: str) -> bytes:
    return hashlib.blake2b(f"{identity}\n{text}".encode(), digest_size=16).digest()


def read(path: Path, identity: str) -> Vectors:
    """The vectors of one file; empty when it is missing, unreadable or of another identity."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["identity"]) != identity:
                log.info("knowledge base: %s holds vectors of another encoder: ignored", path)
                return {}
            keys, vectors = data["keys"], data["vectors"]
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a truncated or foreign file: embed again rather than fail
        log.warning("knowledge base: %s not readable (%s): ignored", path, exc)
        return {}
    return {bytes(k): v for k, v in zip(keys, vectors, strict=True)}


def write(path: Path, identity: str, vectors: Vectors) -> None:
    """Replace ``path`` atomically (a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(vectors)
    rows = np.stack([vectors[k] for k in keys]).astype(np.float16) if keys else np.zeros((0, 0))
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "wb") as file:
        np.savez_compressed(
            file,
            identity=np.array(identity),
            keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16),
            vectors=rows,
        )
    os.replace(temporary, path)


_seeds: dict[tuple[str, str, int], Vectors] = {}  # per process: every base shares one copy
_seeds_lock = threading.Lock()


def _seed(path: Path, identity: str) -> Vectors:
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    with _seeds_lock:
        found = _seeds.get((str(path), identity, stamp))
        if found is None:
            found = _seeds[(str(path), identity, stamp)] = read(path, identity)
        return found


class EmbeddingCache:
    """Vectors for texts: from the seed, from the cache folder, or embedded now."""

    def __init__(self, folder: Path | None, seed: Path | None) -> None:
        self.folder = folder
        self.seed = seed
        self._own: dict[str, Vectors] = {}  # encoder name -> what the cache folder holds
        self._dirty: set[str] = set()
        self.embedded = 0  # texts embedded by this process (for the log and the tests)

    def vectors(
        self, encoder: Encoder, texts: Sequence[str], stop: Callable[[], bool] = lambda: False
    ) -> np.ndarray | None:
        """float32 rows for ``texts``, in order; None if ``stop()`` came true meanwhile."""
        seed = _seed(self.seed / f"{encoder.name}.npz", encoder.identity) if self.seed else {}
        own = self._own_vectors(encoder)
        keys = [key(encoder.identity, t) for t in texts]
        unknown = {k: t for k, t in zip(keys, texts, strict=True) if k not in seed and k not in own}
        missing = list(unknown.items())
        for start in range(0, len(missing), BATCH):
            if stop():
                return None
            chunk = missing[start : start + BATCH]
            rows = encoder.encode([t for _, t in chunk]).astype(np.float16)
            own.update((k, row) for (k, _), row in zip(chunk, rows, strict=True))
            self.embedded += len(chunk)
            self._dirty.add(encoder.name)
        return np.stack([seed[k] if k in seed else own[k] for k in keys]).astype(np.float32)

    def keep(self, encoder: Encoder, texts: Iterable[str]) -> None:
        """Write the cache file of ``encoder`` if it changed: only ``texts`` (those in use)
        that the seed lacks. A failure costs embedding them again later, nothing else."""
        if self.folder is None or encoder.name not in self._dirty:
            return
        seed = _seed(self.seed / f"{encoder.name}.npz", encoder.identity) if self.seed else {}
        own = self._own_vectors(encoder)
        wanted = {key(encoder.identity, t) for t in texts}
        kept = {k: v for k, v in own.items() if k in wanted and k not in seed}
        try:
            write(self.folder / f"{encoder.name}.npz", encoder.identity, kept)
        except OSError as exc:
            log.warning("knowledge base: embeddings cache not written: %s", exc)
            return
        self._own[encoder.name] = kept
        self._dirty.discard(encoder.name)

    def _own_vectors(self, encoder: Encoder) -> Vectors:
        if encoder.name not in self._own:
            path = self.folder / f"{encoder.name}.npz" if self.folder else None
            self._own[encoder.name] = read(path, encoder.identity) if path else {}
        return self._own[encoder.name]


def cache_of(settings: Settings) -> EmbeddingCache | None:
    """The vectors' cache the settings ask for: the shipped seed beside the knowledge files,
    then IVR_KB_EMBEDDINGS; None when hybrid retrieval is off (IVR_KB_DENSE=0)."""
    if not settings.kb_dense:
        return None
    return EmbeddingCache(settings.kb_embeddings_dir, settings.knowledge_dir / "embeddings")
