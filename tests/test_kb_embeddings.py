"""The vectors shipped for the sample knowledge base (knowledge/embeddings/), and the cache's
files: every text of knowledge/*.yaml must have its vector, so that a fresh IVR (and every
test) has its dense index in a second; an edit of the files without `ivr kb embed` fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from ivr.core.settings import PROJECT_ROOT
from ivr.kb.commands import REGENERATE, missing_from_seed, seed_texts
from ivr.kb.embeddings import key, read, write

KNOWLEDGE = PROJECT_ROOT / "knowledge"


def test_the_shipped_vectors_cover_every_text_of_the_sample_knowledge_base() -> None:
    missing = missing_from_seed(KNOWLEDGE)
    assert set(missing) == {"e5-passage", "e5-query", "use"}
    stale = {name: count for name, count in missing.items() if count}
    assert not stale, (
        f"knowledge/embeddings/ has no vector for {stale} text(s) of knowledge/*.yaml: run"
        f" `{REGENERATE}` and commit knowledge/embeddings/"
    )
    texts = seed_texts(KNOWLEDGE)
    assert len(texts["e5-query"]) > 800  # Vietnamese read as queries: questions and alternates
    size = sum(p.stat().st_size for p in (KNOWLEDGE / "embeddings").glob("*.npz"))
    assert size < 6_000_000


def ivr_kb_embed_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "kb", "embed", "--check", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "IVR_DATA_DIR": str(folder / "var")},
        cwd=PROJECT_ROOT,
    )


def test_an_edited_seed_file_without_new_vectors_is_named_with_the_command(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    assert ivr_kb_embed_check(folder).returncode == 0
    path = folder / "en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["alternates"].append("my wallet was stolen with the card in it")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    checked = ivr_kb_embed_check(folder)
    assert checked.returncode == 1
    # the new alternate and its entry's joined text, each for two encoders
    assert "e5-passage: 2 texts without a shipped vector" in checked.stdout
    assert "use: 2 texts without a shipped vector" in checked.stdout
    assert "e5-query: ok" in checked.stdout  # English texts are not read as queries
    assert f"run `{REGENERATE}`" in checked.stderr


def test_a_vectors_file_keeps_its_keys_and_is_ignored_for_another_encoder(tmp_path: Path) -> None:
    path = tmp_path / "e5-passage.npz"
    rows = {key("enc==1:x", t): np.full(4, i, dtype=np.float16) for i, t in enumerate("abc")}
    write(path, "enc==1:x", rows)
    back = read(path, "enc==1:x")
    assert set(back) == set(rows) and all((back[k] == v).all() for k, v in rows.items())
    assert read(path, "enc==2:x") == {}  # another version: its vectors are not reused
    assert key("enc==1:x", "a") != key("enc==2:x", "a") != key("enc==2:x", "a ")
    assert read(tmp_path / "none.npz", "enc==1:x") == {}
    path.write_bytes(b"not a file of vectors")
    assert read(path, "enc==1:x") == {}
    assert [p.name for p in tmp_path.iterdir()] == ["e5-passage.npz"]  # no temporary left
