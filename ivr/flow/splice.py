"""Carrying an edit made on ruamel.yaml's writing of a file over to the file as it was written.

``ivr.flow.roundtrip`` writes the edited data with ruamel.yaml (``after``), and writes the data
as it was read too (``before``). Every line the edit changed is a line where ``before`` and
``after`` differ; every other line is taken from the original text, so a spacing ruamel would
have written differently (``{ "1": a }``, a string folded over two lines) stays as it was where
the edit did not reach. ``carry_over`` does this in two steps:

1. ``_tidy``: ruamel keeps a comment, and a blank line, with the entry *above* it, so it writes
   a new entry below the blank line and the comment that introduce the next one, and it drops
   them with a deleted entry. Here a new entry moves above them (and gets a blank line of its
   own when its siblings are separated by one), and a deleted entry leaves the comments that
   introduce the next one behind, with one blank line between its neighbours as before (none
   after a parent's key, none at the end of the file). The comments inside a deleted entry go
   with it; those above it stay (they may introduce more than it).
2. ``_carry``: the lines equal in the original, ``before`` and ``after`` are anchors. Between
   two anchors the original's lines are kept when the edit changed nothing there, else
   ``after``'s lines are taken.
"""

from __future__ import annotations

from difflib import SequenceMatcher


def carry_over(original: str, before: str, after: str) -> str:
    """``after``, with every line the edit did not change as ``original`` has it."""
    newline = "\r\n" if "\r\n" in original else "\n"
    lines = original.splitlines(keepends=True)
    old, new = before.splitlines(), _tidy(before.splitlines(), after.splitlines())
    out = _carry([line.rstrip("\r\n") for line in lines], old, new)
    return "".join(lines[i] if isinstance(i, int) else i + newline for i in out)


def _carry(original: list[str], old: list[str], new: list[str]) -> list[int | str]:
    """The output as original line numbers (kept as they are, line end and all) and new lines."""
    to_original, to_new = _equal_lines(old, original), _equal_lines(old, new)
    anchors = [i for i in range(len(old)) if i in to_original and i in to_new]
    out: list[int | str] = []
    last, last_original, last_new = -1, -1, -1
    for i in [*anchors, len(old)]:
        at_original = to_original.get(i, len(original))
        at_new = to_new.get(i, len(new))
        if old[last + 1 : i] == new[last_new + 1 : at_new]:
            out += range(last_original + 1, at_original)
        else:
            out += new[last_new + 1 : at_new]
        if i < len(old):
            out.append(at_original)
        last, last_original, last_new = i, at_original, at_new
    return out


def _equal_lines(a: list[str], b: list[str]) -> dict[int, int]:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return {i + k: j + k for i, j, size in matcher.get_matching_blocks() for k in range(size)}


def _tidy(old: list[str], new: list[str]) -> list[str]:
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        added = new[j1:j2]
        if tag == "equal":
            out += added
        elif tag == "insert":
            out = _place(out, added)
        else:
            out += added + _left_behind(old[i1:i2], old[i2:], added, out)
    while out and _blank(out[-1]) and not (old and _blank(old[-1])):
        out.pop()  # the last entry deleted: the blank line above it goes too
    return out


def _place(out: list[str], added: list[str]) -> list[str]:
    """``added`` put above the blank lines and comments that end ``out`` (they introduce what
    follows), with a blank line before it when its siblings have one."""
    first = next((line for line in added if line.strip()), "")
    indent = _indent(first)
    k = len(out)
    while k > 0 and (
        _blank(out[k - 1]) or (_comment(out[k - 1]) and _indent(out[k - 1]) <= indent)
    ):
        k -= 1
    gap = [""] if _siblings_spaced(out[:k], indent) and not _comment(first) else []
    return out[:k] + gap + added + out[k:]


def _siblings_spaced(out: list[str], indent: int) -> bool:
    """Whether the entry above, at ``indent``, has a blank line (and maybe comments) above it."""
    for k in range(len(out) - 1, -1, -1):
        line = out[k]
        if _blank(line) or _comment(line) or _indent(line) > indent:
            continue
        if _indent(line) < indent:
            return False
        above = k - 1
        while above >= 0 and _comment(out[above]):
            above -= 1
        return above >= 0 and _blank(out[above])
    return False


def _left_behind(
    deleted: list[str], following: list[str], added: list[str], out: list[str]
) -> list[str]:
    """The blank lines and comments at the end of ``deleted`` that introduce what follows (not
    indented deeper than it), unless ``added`` ends with them already."""
    run = len(deleted)
    while run > 0 and (_blank(deleted[run - 1]) or _comment(deleted[run - 1])):
        run -= 1
    tail = deleted[run:]
    if not tail or added[-len(tail) :] == tail:
        return []
    next_line = next((line for line in following if not _blank(line) and not _comment(line)), "")
    start = next(
        (
            k
            for k, line in enumerate(tail)
            if _comment(line) and _indent(line) <= _indent(next_line)
        ),
        None,
    )
    if start is None:  # no comment of what follows: only the blank lines that end the block
        start = len(tail)
        while start > 0 and _blank(tail[start - 1]):
            start -= 1
    else:
        while start > 0 and _blank(tail[start - 1]):
            start -= 1
    kept = tail[start:]
    before = (out + added)[-1:] or [""]
    first = _blank(before[0]) or _indent(before[0]) < _indent(next_line)  # after its parent
    while kept and _blank(kept[0]) and first:
        kept = kept[1:]
    return kept


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
