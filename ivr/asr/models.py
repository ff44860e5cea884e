"""``ivr models``: which speech models a deployment has, and downloading vosk models.

Downloads come from alphacephei's catalog (``IVR_MODELS_CATALOG``, the ``model-list.json`` of
https://alphacephei.com/vosk/models): a list of entries with ``lang``, ``name``, ``url``,
``md5``, ``size``, ``type`` ("small", "big", ...), ``version`` and ``obsolete`` ("true" or
"false", strings). We take the newest non-obsolete small model of the language: small models
have the runtime graph that menus' grammar mode needs and load in seconds.

Nothing is installed unless it is complete: the zip goes to a temporary folder inside the
models folder (same file system), its md5 is checked, it is unpacked and checked to be a vosk
model, and only then renamed to ``<models_dir>/<language>/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

from ivr.asr.registry import (
    PACKAGED,
    choose_model,
    engine_choices,
    model_problem,
    packaged_model,
)
from ivr.core.settings import Settings

# Our language codes -> the catalog's ("vn", "cn", "en-us"); others are the same in both.
CATALOG_LANGUAGE = {"vi": "vn", "zh": "cn", "en": "en-us"}
TIMEOUT = 60.0
CHUNK = 1 << 16


class DownloadError(Exception):
    pass


@dataclass(frozen=True)
class CatalogModel:
    name: str
    lang: str
    url: str
    md5: str
    size: int
    type: str
    version: str
    obsolete: bool

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> CatalogModel:
        return cls(
            name=str(entry.get("name", "")),
            lang=str(entry.get("lang", "")),
            url=str(entry.get("url", "")),
            md5=str(entry.get("md5", "")).lower(),
            size=int(entry.get("size") or 0),
            type=str(entry.get("type", "")),
            version=str(entry.get("version", "")),
            obsolete=str(entry.get("obsolete", "false")).lower() == "true",
        )

    @property
    def version_key(self) -> tuple[int, ...]:
        """Numeric parts, as vosk numbers its releases: "0.22" > "0.4" > "0.3"."""
        return tuple(int(part) for part in re.findall(r"\d+", self.version))


def fetch_catalog(url: str) -> list[CatalogModel]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            entries = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise DownloadError(f"cannot read the model catalog {url}: {exc}") from exc
    if not isinstance(entries, list):
        raise DownloadError(f"the model catalog {url} is not a list of models")
    return [CatalogModel.from_entry(entry) for entry in entries if isinstance(entry, dict)]


def choose(catalog: list[CatalogModel], language: str, name: str | None = None) -> CatalogModel:
    """The model named ``name``, else the newest non-obsolete small model of ``language``."""
    if name:
        for model in catalog:
            if model.name == name:
                return model
        raise DownloadError(f"the catalog has no model named {name!r}")
    code = CATALOG_LANGUAGE.get(language, language)
    small = [m for m in catalog if m.lang == code and m.type == "small" and not m.obsolete]
    if not small:
        raise DownloadError(
            f"the catalog has no current small vosk model for {language!r} (catalog code "
            f"{code!r}); pick one with --name"
        )
    return max(small, key=lambda model: model.version_key)


def download(
    settings: Settings,
    language: str,
    *,
    name: str | None = None,
    force: bool = False,
    progress: IO[str] = sys.stderr,
) -> Path:
    """Download, check and install a vosk model as ``<models_dir>/<language>/``."""
    engine = settings.asr_engines.get(language, "vosk")
    if "vosk" not in engine_choices(engine):
        raise DownloadError(
            f"IVR_ASR has {language}={engine}: `ivr models download` installs vosk models; "
            f"put a {engine} model in {settings.asr_models_dir / language} by hand"
        )
    target = settings.asr_models_dir / language
    if _has_files(target) and not force:
        raise DownloadError(f"{target} already holds a model; add --force to replace it")
    model = choose(fetch_catalog(settings.models_catalog), language, name)
    if not model.md5:
        raise DownloadError(f"the catalog gives no md5 for {model.name}; not installing it")
    settings.asr_models_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".download-{language}-", dir=settings.asr_models_dir))
    try:
        archive = work / "model.zip"
        digest = _fetch(urljoin(settings.models_catalog, model.url), archive, model, progress)
        if digest != model.md5:
            raise DownloadError(
                f"{model.name}: md5 {digest} does not match the catalog's {model.md5}; "
                "nothing installed"
            )
        root = _unpack(archive, work / "unpacked")
        problem = model_problem("vosk", root)
        if problem:
            raise DownloadError(f"{model.name} is not a vosk model ({problem}); nothing installed")
        _install(root, target, work / "previous")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _fetch(url: str, path: Path, model: CatalogModel, progress: IO[str]) -> str:
    """Stream ``url`` into ``path`` with a progress line; the md5 of what arrived."""
    md5 = hashlib.md5()
    done, shown = 0, 0.0
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, path.open("wb") as out:
            total = int(response.headers.get("Content-Length") or model.size or 0)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                md5.update(chunk)
                done += len(chunk)
                if time.monotonic() - shown > 0.25:
                    shown = time.monotonic()
                    _progress(progress, model.name, done, total)
    except OSError as exc:
        raise DownloadError(f"cannot download {url}: {exc}; nothing installed") from exc
    _progress(progress, model.name, done, total)
    progress.write("\n")
    return md5.hexdigest()


def _progress(out: IO[str], name: str, done: int, total: int) -> None:
    share = f" {100 * done // total:3d}%" if total else ""
    out.write(f"\rdownloading {name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB{share}")
    out.flush()


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack, refusing paths that leave ``into``; the folder holding the model."""
    into.mkdir()
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                if not (into / member).resolve().is_relative_to(into.resolve()):
                    raise DownloadError(f"the archive has an unsafe path {member!r}")
            zipped.extractall(into)
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"the download is not a zip archive: {exc}") from exc
    entries = [entry for entry in into.iterdir() if not entry.name.startswith("__MACOSX")]
    # Catalog zips hold one folder named after the model.
    if len(entries) == 1 and entries[0].is_dir() and not (into / "am").is_dir():
        return entries[0]
    return into


def _install(new: Path, target: Path, previous: Path) -> None:
    """Put ``new`` in ``target``'s place by renames; the old model survives any failure."""
    if target.is_dir() and not _has_files(target):
        target.rmdir()
    if target.exists():
        os.rename(target, previous)
    try:
        os.rename(new, target)
    except OSError:
        if previous.exists():
            os.rename(previous, target)
        raise


def folder_size(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def list_models(settings: Settings, out: IO[str] = sys.stdout) -> None:
    out.write(f"speech models in {settings.asr_models_dir} (IVR_MODELS_DIR)\n")
    out.write(f"{'language':<10}{'engine':<9}{'installed':<11}{'size':>9}  folder\n")
    for language, spec in settings.asr_engines.items():
        place = choose_model(settings, language, spec)
        engine = place.engine
        if place.path is None:
            state, size = "no", "-"
            if place.problem != "not installed":
                note = place.problem
            elif engine == "vosk":
                note = f"not installed: ivr models download {language}"
            else:
                note = "not installed"
        else:
            state, size = "yes", _mb(folder_size(place.path))
            note = "" if place.source == "folder" else f"none here: uses the {place.source}"
        note = f"  ({note})" if note else ""
        out.write(f"{language:<10}{engine:<9}{state:<11}{size:>9}  {place.folder}{note}\n")
    out.write("packaged models (Python packages):\n")
    for engine, language in PACKAGED:
        found = packaged_model(engine, language)
        if found is not None:
            package, path = found
            size = _mb(folder_size(path))
            out.write(f"{language:<10}{engine:<9}{package:<22}{size:>9}  {path}\n")


def command(args: argparse.Namespace, settings: Settings) -> int:
    """``ivr models`` (list) and ``ivr models download <lang> [--name N] [--force]``."""
    if args.action == "list":
        list_models(settings)
        return 0
    if not args.language:
        print("ivr models download: which language? (e.g. ivr models download vi)")
        return 2
    try:
        target = download(settings, args.language, name=args.name, force=args.force)
    except DownloadError as exc:
        print(f"ivr models download: {exc}", file=sys.stderr)
        return 1
    print(f"installed the {args.language} vosk model in {target} ({_mb(folder_size(target))})")
    return 0
