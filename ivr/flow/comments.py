"""The comment lines of a YAML file, and the ones an edit lost.

Hotlines keep their flow and queue files in git and leave notes for each other in comments
("Check the government's calendar every year"). The admin web never drops one an admin did not
delete: a publish that would is refused (``ivr.flow.drafts``), and so is a queue save.

A comment is found where YAML finds one: PyYAML's scanner is run over the text, and a ``#``
after white space in a gap between two tokens starts a comment (a ``#`` inside a quoted string
or a block of text is part of a token, so it is not one). A comment is compared by its text
from the ``#`` on, without the white space around it: an indentation change or a new value in
front of ``timeout: 6  # seconds`` does not lose it. A text the scanner cannot read (a broken
draft) is read line by line instead: a line whose text starts with ``#``, and ``#`` after white
space outside simple quotes.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass

import yaml

_IN_GAP = re.compile(r"#[^\n]*")


@dataclass(frozen=True)
class Comment:
    line: int  # 0-based
    text: str  # from the "#" on, stripped


def comments(text: str) -> list[Comment]:
    """Every comment of ``text``, in order."""
    try:
        tokens = list(yaml.scan(text))
    except yaml.YAMLError:
        return _by_line(text)
    found: list[Comment] = []
    position = 0
    for token in tokens:
        start, end = token.start_mark.index, token.end_mark.index
        if start > position:
            found += _in_gap(text, position, start)
        position = max(position, end)
    return found + _in_gap(text, position, len(text))


def _in_gap(text: str, start: int, end: int) -> list[Comment]:
    return [
        Comment(text.count("\n", 0, start + m.start()), m.group(0).strip())
        for m in _IN_GAP.finditer(text[start:end])
        if start + m.start() == 0 or text[start + m.start() - 1].isspace()
    ]


def _by_line(text: str) -> list[Comment]:
    found = []
    for number, line in enumerate(text.splitlines()):
        quote = ""
        for i, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "\"'" and (i == 0 or line[i - 1] in " \t[{,:-"):
                quote = char
            elif char == "#" and (i == 0 or line[i - 1].isspace()):
                found.append(Comment(number, line[i:].strip()))
                break
    return found


def lost(before: str, after: str) -> list[Comment]:
    """The comments of ``before`` that ``after`` does not have (each as often as it is
    missing), in the order of ``before``."""
    return subtract(comments(before), [c.text for c in comments(after)])


def removed_with_content(before: str, after: str) -> list[Comment]:
    """The comments of ``before`` that an edit removed together with the YAML around them: a
    block of lines the edit deleted, holding YAML lines too, with nothing written in its place
    (a deleted node takes the notes inside it along). A comment lost any other way was not
    asked for."""
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    deleted: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag == "delete" and any(_is_yaml(line) for line in old[i1:i2]):
            deleted.update(range(i1, i2))
    return [c for c in comments(before) if c.line in deleted]


def _is_yaml(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def subtract(found: list[Comment], allowed: list[str]) -> list[Comment]:
    """``found`` without the texts of ``allowed`` (each used once)."""
    left = Counter(allowed)
    out = []
    for comment in found:
        if left[comment.text] > 0:
            left[comment.text] -= 1
        else:
            out.append(comment)
    return out
