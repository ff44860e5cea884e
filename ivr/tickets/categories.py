"""Ticket categories: ``knowledge/categories.yaml`` (level 2, each under a level-1 kind).

The file is written by hand, so it is read node by node (``yaml.compose``) and a problem is
reported as ``file:line: category X: what is wrong``, every problem at once.

``categorise`` sorts a message by the keywords each category lists per language: the category
whose keywords the text holds most wins, a keyword counting by its length in words (characters
for Chinese) so "bank account" outweighs "account"; a tie goes to the category listed first;
nothing found -> the fallback ``general``. Vietnamese is compared without diacritics on both
sides, so a recogniser (or a caller typing) that drops the tones still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ivr.core.languages import LANGUAGES

LEVEL1 = ("policy", "lookup", "transaction")
FALLBACK = "general"
Report = Callable[[yaml.Node, str], None]  # (where in the file, what is wrong)


@dataclass(frozen=True)
class Category:
    id: str
    level1: str
    names: dict[str, str]
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> folded

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.id


class CategoryError(ValueError):
    """``categories.yaml`` is not usable: every problem, one per line, with file:line."""


def normalise(text: str, language: str) -> str:
    """Lower case, punctuation to spaces, Vietnamese without diacritics ("Thẻ BHYT" ->
    "the bhyt"); Chinese loses its spaces (it is matched by substring)."""
    text = unicodedata.normalize("NFC", text).casefold()
    if language == "vi":
        decomposed = unicodedata.normalize("NFD", text.replace("đ", "d"))
        text = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    if language == "zh":
        return re.sub(r"[\s\W]+", "", text)
    return " ".join(re.sub(r"[^\w'-]+", " ", text).split())


def categorise(text: str, language: str, categories: dict[str, Category]) -> tuple[str, str]:
    """``(level1, category id)`` for a message; the fallback's when no keyword is in it."""
    said = normalise(text, language)
    padded = f" {said} "
    best, best_score = categories[FALLBACK], 0
    for category in categories.values():
        score = 0
        for keyword in category.keywords.get(language, ()):
            if language == "zh":
                score += len(keyword) * said.count(keyword)
            elif f" {keyword} " in padded:
                score += len(keyword.split())
        if score > best_score:
            best, best_score = category, score
    return best.level1, best.id


def load_categories(path: Path) -> dict[str, Category]:
    """The categories, checked; ``CategoryError`` lists each problem as ``file:line: ...``."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CategoryError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    problems: list[str] = []

    def report(node: yaml.Node, message: str) -> None:
        problems.append(f"{path}:{node.start_mark.line + 1}: {message}")

    items = _get(root, "categories") if isinstance(root, yaml.MappingNode) else None
    if not isinstance(items, yaml.MappingNode) or not items.value:
        raise CategoryError(f"{path}:1: a 'categories' mapping (id: {{level1, names}}) is needed")
    out: dict[str, Category] = {}
    for key, node in items.value:
        cid = str(key.value)
        if cid in out:
            report(key, f"category {cid}: listed twice")
            continue
        category = _read_category(cid, node, report)
        if category is not None:
            out[cid] = category
    if FALLBACK not in out and not problems:
        keys = root.value if isinstance(root, yaml.MappingNode) else []
        line = next((k.start_mark.line for k, v in keys if v is items), 0) + 1
        problems.append(f"{path}:{line}: categories: the '{FALLBACK}' category is needed")
    if problems:
        raise CategoryError("\n".join(problems))
    return out


def _read_category(cid: str, node: yaml.Node, say: Report) -> Category | None:
    where = f"category {cid}"
    if not isinstance(node, yaml.MappingNode):
        say(node, f"{where}: must be a mapping with level1, names and keywords")
        return None
    known = {"level1", "names", "keywords"}
    for key, _ in node.value:
        if key.value not in known:
            say(key, f"{where}: unknown key {key.value!r} (known: {', '.join(sorted(known))})")
    level1_node = _get(node, "level1")
    level1 = level1_node.value if isinstance(level1_node, yaml.ScalarNode) else None
    if level1 not in LEVEL1:
        say(level1_node or node, f"{where}: level1 must be one of {', '.join(LEVEL1)}")
    names = {
        lang: str(v)
        for lang, v in _per_language(_get(node, "names"), f"{where}: names", say, True).items()
    }
    if not names:
        say(node, f"{where}: names per language ({', '.join(LANGUAGES)}) are needed")
    words = _per_language(_get(node, "keywords"), f"{where}: keywords", say, False)
    keywords = {
        lang: tuple(k for k in (normalise(w, lang) for w in listed) if k)
        for lang, listed in words.items()
        if isinstance(listed, list)
    }
    if level1 not in LEVEL1 or not names:
        return None
    return Category(cid, str(level1), names, keywords)


def _per_language(
    node: yaml.Node | None, where: str, say: Report, scalar: bool
) -> dict[str, str | list[str]]:
    """``{language: text}`` (names) or ``{language: [phrases]}`` (keywords)."""
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        say(node, f"{where}: must map a language ({', '.join(LANGUAGES)}) to a value")
        return {}
    out: dict[str, str | list[str]] = {}
    for key, value in node.value:
        if key.value not in LANGUAGES:
            say(key, f"{where}: unknown language {key.value!r} (known: {', '.join(LANGUAGES)})")
        elif scalar and isinstance(value, yaml.ScalarNode) and value.value.strip():
            out[key.value] = value.value
        elif not scalar and isinstance(value, yaml.SequenceNode):
            texts = [v.value for v in value.value if isinstance(v, yaml.ScalarNode)]
            if len(texts) != len(value.value):
                say(value, f"{where}.{key.value}: every keyword must be plain text")
            out[key.value] = texts
        else:
            kind = "a text" if scalar else "a list of phrases"
            say(value, f"{where}.{key.value}: must be {kind}")
    return out


def _get(node: yaml.Node, name: str) -> yaml.Node | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value  # type: ignore[no-any-return]
    return None
