"""Ticket categories: ``knowledge/categories.yaml`` (level 2, each under a level-1 kind)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

LEVEL1 = ("policy", "lookup", "transaction")
FALLBACK = "general"


@dataclass(frozen=True)
class Category:
    id: str
    level1: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.id


def load_categories(path: Path) -> dict[str, Category]:
    """The categories, checked: ``path: category X: problem`` on errors."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("categories")
    if not isinstance(items, dict) or not items:
        raise ValueError(f"{path}: no 'categories' mapping")
    out = {}
    for cid, item in items.items():
        where = f"{path}: category {cid}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: not a mapping")
        level1 = item.get("level1")
        if level1 not in LEVEL1:
            raise ValueError(f"{where}: level1 must be one of {', '.join(LEVEL1)}, not {level1!r}")
        names = item.get("names") or {}
        if not isinstance(names, dict) or not names:
            raise ValueError(f"{where}: names per language are needed")
        out[str(cid)] = Category(str(cid), level1, {str(k): str(v) for k, v in names.items()})
    if FALLBACK not in out:
        raise ValueError(f"{path}: the '{FALLBACK}' category is needed (the fallback)")
    return out
