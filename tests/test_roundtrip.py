"""ivr.flow.roundtrip on files written by other hands than the samples': odd spacing, 4-space
indentation, a string folded over two lines, CRLF line ends. A change rewrites its own line(s)
only; what ruamel.yaml would have written differently elsewhere stays as it was."""

from __future__ import annotations

import difflib

import yaml

from ivr.flow import roundtrip

QUIRKY = """\
# written by hand
flow:   demo     # spaces
numbers: [ "1900", "1901" ]
nodes:
    a:
        type: menu
        options: { "1": b, "2": c }
        prompt:
            en: "a long text that is folded
              over two lines"
        holidays:
        -   "2026-01-01"
        -   "2026-01-02"
        position: yes
        hold_time: once
    b:
        type: hangup   # the end
"""


def _changed(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
    return [x for x in diff if x[:1] in "+-" and not x.startswith(("+++", "---"))]


def _edited(text: str, change: object) -> str:
    data = roundtrip.load(text)
    change(data["nodes"]["a"])  # type: ignore[operator]
    return roundtrip.dump(data, text)


def test_no_change_gives_the_text_back() -> None:
    assert roundtrip.dump(roundtrip.load(QUIRKY), QUIRKY) == QUIRKY
    crlf = QUIRKY.replace("\n", "\r\n")
    assert roundtrip.dump(roundtrip.load(crlf), crlf) == crlf


def test_a_change_rewrites_only_its_lines() -> None:
    def holiday(node: dict) -> None:
        roundtrip.put(node, "holidays", ["2026-01-01", "2026-01-02", "2026-01-03"])

    assert _changed(QUIRKY, _edited(QUIRKY, holiday)) == ['+        -   "2026-01-03"']

    def text(node: dict) -> None:
        roundtrip.put(node["prompt"], "en", "short")

    assert _changed(QUIRKY, _edited(QUIRKY, text)) == [
        '-            en: "a long text that is folded',
        '-              over two lines"',
        '+            en: "short"',
    ]
    crlf = QUIRKY.replace("\n", "\r\n")
    after = _edited(crlf, text)
    assert after.count("\r\n") == crlf.count("\r\n") - 1 and "\n" not in after.replace("\r\n", "")


def test_values_compare_as_the_loaders_read_them() -> None:
    """A plain ``yes`` is true (YAML 1.1): the form's True leaves it, False writes ``no``; a
    new string YAML 1.1 would read as something else is quoted."""

    def same(node: dict) -> None:
        roundtrip.put(node, "position", True)
        roundtrip.put(node, "hold_time", "once")

    assert _edited(QUIRKY, same) == QUIRKY

    def other(node: dict) -> None:
        roundtrip.put(node, "position", False)
        roundtrip.put(node, "hold_time", "no")
        roundtrip.put(node, "retries", "3")

    after = _edited(QUIRKY, other)
    assert _changed(QUIRKY, after) == [
        "-        position: yes",
        "-        hold_time: once",
        "+        position: no",
        '+        hold_time: "no"',
        '+        retries: "3"',
    ]
    node = yaml.safe_load(after)["nodes"]["a"]
    assert (node["position"], node["hold_time"], node["retries"]) == (False, "no", "3")


SPACED = """\
nodes:
  first:
    type: hangup

  # the middle one
  middle:
    type: hangup
    # a note inside it

  last:
    type: hangup
"""


def test_a_deleted_entry_takes_its_lines_and_leaves_the_blank_lines_tidy() -> None:
    """The note inside a deleted entry goes with it; the one above it stays (it may introduce
    more than that entry: the admin deletes it by hand if not)."""
    for gone, expected in [
        ("first", SPACED.replace("  first:\n    type: hangup\n\n", "")),
        ("middle", SPACED.replace("  middle:\n    type: hangup\n    # a note inside it\n", "")),
        ("last", SPACED.replace("\n  last:\n    type: hangup\n", "")),
    ]:
        data = roundtrip.load(SPACED)
        del data["nodes"][gone]
        assert roundtrip.dump(data, SPACED) == expected, gone
    data = roundtrip.load(SPACED)
    roundtrip.put(data["nodes"], "new", {"type": "hangup"})
    assert roundtrip.dump(data, SPACED) == SPACED + "\n  new:\n    type: hangup\n"
