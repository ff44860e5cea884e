"""``ivr models`` and ``ivr models download`` through the real CLI, against a local catalog.

A thread serves a catalog in alphacephei's model-list.json format and small zips shaped like
vosk models (one folder named after the model, am/final.mdl, conf/model.conf, graph/...).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ivr.asr.models import CatalogModel, DownloadError, _unpack, choose


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def vosk_zip(name: str, marker: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        zipped.writestr(f"{name}/am/final.mdl", b"\0" * 50_000)
        zipped.writestr(f"{name}/conf/model.conf", "--min-active=200\n")
        zipped.writestr(f"{name}/graph/HCLr.fst", b"\1" * 10_000)
        zipped.writestr(f"{name}/README", marker)
    return out.getvalue()


def entry(name: str, lang: str, version: str, data: bytes, **extra: str) -> dict[str, object]:
    return {
        "lang": lang,
        "lang_text": "Vietnamese",
        "md5": hashlib.md5(data).hexdigest(),
        "name": name,
        "obsolete": "false",
        "size": len(data),
        "size_text": f"{len(data) / 2**20:.1f}MiB",
        "type": "small",
        "url": f"{name}.zip",  # relative to the catalog, as our fetch resolves it
        "version": version,
        **extra,
    }


@pytest.fixture(scope="module")
def catalog_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("catalog")
    models = {
        "vosk-model-small-vn-0.3": ("vn", "0.3", {}),
        "vosk-model-small-vn-0.4": ("vn", "0.4", {}),
        "vosk-model-small-vn-0.5": ("vn", "0.5", {"obsolete": "true"}),
        "vosk-model-vn-0.9": ("vn", "0.9", {"type": "big"}),
        "vosk-model-small-cn-0.22": ("cn", "0.22", {}),
    }
    good = []
    for name, (lang, version, extra) in models.items():
        data = vosk_zip(name, f"this is {name}")
        (root / f"{name}.zip").write_bytes(data)
        good.append(entry(name, lang, version, data, **extra))
    (root / "model-list.json").write_text(json.dumps(good, indent=2))
    bad = [dict(e, md5="0" * 32) if e["name"] == "vosk-model-small-vn-0.4" else e for e in good]
    (root / "bad-md5.json").write_text(json.dumps(bad))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def ivr_models(models_dir: Path, catalog: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "IVR_MODELS_DIR": str(models_dir),
        "IVR_MODELS_CATALOG": catalog,
        "IVR_ASR": "en=whisper,vi=vosk,zh=vosk",
    }
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", "models", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def leftovers(models_dir: Path) -> list[str]:
    return [p.name for p in models_dir.iterdir() if p.name.startswith(".")]


def test_download_installs_the_newest_small_model(tmp_path: Path, catalog_server: str) -> None:
    models = tmp_path / "models"
    done = ivr_models(models, f"{catalog_server}/model-list.json", "download", "vi")
    assert done.returncode == 0, done.stderr
    assert "downloading vosk-model-small-vn-0.4" in done.stderr and "100%" in done.stderr
    assert (models / "vi" / "am" / "final.mdl").stat().st_size == 50_000
    assert (models / "vi" / "README").read_text() == "this is vosk-model-small-vn-0.4"
    assert leftovers(models) == []
    assert f"installed the vi vosk model in {models / 'vi'}" in done.stdout

    listed = ivr_models(models, f"{catalog_server}/model-list.json")
    assert listed.returncode == 0, listed.stderr
    line = next(row for row in listed.stdout.splitlines() if row.startswith("vi "))
    assert line.split()[:3] == ["vi", "vosk", "yes"] and str(models / "vi") in line
    zh = next(row for row in listed.stdout.splitlines() if row.startswith("zh "))
    assert zh.split()[:3] == ["zh", "vosk", "no"] and "ivr models download zh" in zh


def test_bad_md5_installs_nothing(tmp_path: Path, catalog_server: str) -> None:
    models = tmp_path / "models"
    done = ivr_models(models, f"{catalog_server}/bad-md5.json", "download", "vi")
    assert done.returncode == 1
    assert "md5" in done.stderr and "nothing installed" in done.stderr
    assert not (models / "vi").exists()
    assert leftovers(models) == []


def test_an_installed_model_is_kept_until_a_good_one_replaces_it(
    tmp_path: Path, catalog_server: str
) -> None:
    models = tmp_path / "models"
    (models / "vi" / "am").mkdir(parents=True)
    (models / "vi" / "am" / "final.mdl").write_text("the admin's model")
    again = ivr_models(models, f"{catalog_server}/model-list.json", "download", "vi")
    assert again.returncode == 1 and "--force" in again.stderr
    forced_bad = ivr_models(models, f"{catalog_server}/bad-md5.json", "download", "vi", "--force")
    assert forced_bad.returncode == 1
    assert (models / "vi" / "am" / "final.mdl").read_text() == "the admin's model"
    older = ["download", "vi", "--force", "--name", "vosk-model-small-vn-0.3"]
    forced = ivr_models(models, f"{catalog_server}/model-list.json", *older)
    assert forced.returncode == 0, forced.stderr
    assert (models / "vi" / "README").read_text() == "this is vosk-model-small-vn-0.3"
    assert leftovers(models) == []


def test_download_refuses_a_whisper_language_and_an_unreachable_catalog(tmp_path: Path) -> None:
    models = tmp_path / "models"
    whisper = ivr_models(models, "http://127.0.0.1:9/none.json", "download", "en")
    assert whisper.returncode == 1 and "whisper" in whisper.stderr
    unreachable = ivr_models(models, "http://127.0.0.1:9/none.json", "download", "zh")
    assert unreachable.returncode == 1 and "cannot read the model catalog" in unreachable.stderr


def test_choose_maps_our_language_codes() -> None:
    def model(name: str, lang: str, version: str, kind: str = "small") -> CatalogModel:
        return CatalogModel(name, lang, "", "", 0, kind, version, False)

    catalog = [
        model("cn-0.3", "cn", "0.3"),
        model("cn-0.22", "cn", "0.22"),
        model("en-us-0.15", "en-us", "0.15"),
        model("en-in-0.4", "en-in", "0.4"),
        model("ko-big", "ko", "0.22", "big"),
    ]
    assert choose(catalog, "zh").name == "cn-0.22"
    assert choose(catalog, "en").name == "en-us-0.15"
    with pytest.raises(DownloadError, match="no current small vosk model"):
        choose(catalog, "ko")


def test_unpack_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../escaped.txt", "x")
    with pytest.raises(DownloadError, match="unsafe path"):
        _unpack(archive, tmp_path / "into")
    assert not (tmp_path / "escaped.txt").exists()
