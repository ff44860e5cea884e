"""Reading the values of a flow's nodes: texts per language, routes, phone keys, queues,
scripts, opening hours, timeouts.

``NodeValues.read_<kind>`` reads one kind of value named in the tables of ``ivr.flow.loader``;
like every reader of ``YamlReader`` it reports what is wrong and returns a stand-in. Routes are
only collected here (``refs``): whether they name a node is judged once every node is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

import yaml

from ivr.core.languages import LANGUAGES
from ivr.flow.hours import (
    DAYS,
    Interval,
    check_timezone,
    find_overlap,
    format_interval,
    parse_days,
    parse_holiday,
    parse_interval,
)
from ivr.flow.model import DTMF_KEYS, QUEUE_STATUSES, Bands, Text
from ivr.flow.yaml_reader import Field, YamlReader, describe, did_you_mean, join_path
from ivr.understanding.choice import ACT, CONFIRM

QUEUE_NAME = re.compile(r"[a-z][a-z0-9-]*")


class NodeValues(YamlReader):
    """The readers of node values, and what they need to know of the flow being read."""

    def __init__(self, filename: str, known_scripts: Collection[str] | None) -> None:
        super().__init__(filename)
        self.known_scripts = known_scripts
        self.languages: tuple[str, ...] | None = None  # None unless valid
        self.zone = "UTC"
        self.refs: list[tuple[str, str, yaml.Node, str]] = []  # (from node, path, value, target)
        self.menu_options: dict[str, str] = {}  # the options of the menu being read

    # -- languages, time zones, texts ---------------------------------------------------------
    def read_language(self, field: Field, path: str, owner: str) -> str:
        language = self.scalar(field[1], path, "a language")
        choices = self.languages or LANGUAGES
        if language and language not in choices:
            which = "the flow's languages" if self.languages else "the supported languages"
            message = f"'{language}' is not one of {which} ({', '.join(choices)})"
            self.report(field[1], path, message)
        return language

    def read_zone(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a time zone such as Asia/Ho_Chi_Minh")
        try:
            return check_timezone(name) if name else self.zone
        except ValueError as exc:
            self.report(field[1], path, str(exc))
            return self.zone

    def read_texts(self, field: Field, path: str, owner: str) -> Text:
        """A text per language: every language of the flow, and no other."""
        texts: Text = {}
        for key, value in self.pairs(field[1], path, "a mapping of language to text (vi: ...)"):
            key_path = join_path(path, key.value)
            language = self.read_language((key, key), key_path, owner)
            texts[language] = self.scalar(value, key_path, "a text")
        if isinstance(field[1], yaml.MappingNode):
            for language in self.languages or ():
                if language not in texts:
                    self.report(field[0], path, f"missing text for language '{language}'")
        return texts

    # -- routes, numbers ----------------------------------------------------------------------
    def read_ref(self, field: Field, path: str, owner: str) -> str:
        target = self.scalar(field[1], path, "a node id")
        self.refs.append((owner, path, field[1], target))
        return target

    def read_seconds(self, field: Field, path: str, owner: str) -> float:
        return self.number(field[1], path, 1, 30, seconds=True)

    def read_lengths(self, field: Field, path: str, owner: str) -> tuple[int, ...]:
        """The digit counts a number may have: ``[10, 12]``, each 1 to 20."""
        lengths: list[int] = []
        for i, item in enumerate(self.items(field[1], path, "a list of digit counts [10, 12]")):
            length = int(self.number(item, f"{path}.{i}", 1, 20))
            if length and length not in lengths:
                lengths.append(length)
        if isinstance(field[1], yaml.SequenceNode) and not field[1].value:
            self.report(field[0], path, "list at least one digit count")
        return tuple(sorted(lengths))

    def read_name(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a name")
        if name and not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            self.report(field[1], path, "a name is lower-case letters, digits and _")
        return name

    def read_retries(self, field: Field, path: str, owner: str) -> int:
        return int(self.number(field[1], path, 0, 5))

    def read_queue_timeout(self, field: Field, path: str, owner: str) -> int:
        return int(self.number(field[1], path, 10, 3600))

    # -- phone keys ---------------------------------------------------------------------------
    def keyed(self, field: Field, path: str, read: Callable[[Field, str], str]) -> dict[str, str]:
        """A mapping of phone key -> choice. A YAML integer key 0-9 is normalised to a string."""
        options: dict[str, str] = {}
        pairs = self.pairs(field[1], path, 'a mapping of phone key to choice ("1": ...)')
        if isinstance(field[1], yaml.MappingNode) and not field[1].value:
            self.report(field[0], path, "give at least one option")
        for key, value in pairs:
            choice = read((key, value), join_path(path, key.value))
            if key.value in DTMF_KEYS:
                options[key.value] = choice
            else:
                message = f"'{key.value}' is not a phone key: 0-9, * or #, quoted (\"1\": ...)"
                self.report(key, join_path(path, key.value), message)
        return options

    def read_key_refs(self, field: Field, path: str, owner: str) -> dict[str, str]:
        self.menu_options = self.keyed(field, path, lambda f, p: self.read_ref(f, p, owner))
        return self.menu_options

    def read_key_phrases(
        self, field: Field, path: str, owner: str
    ) -> dict[str, dict[str, tuple[str, ...]]]:
        """Speech for a menu: key -> language -> phrases that choose that key. Every key must
        be one of the menu's options (read just before); a language may be left out (that
        option is then chosen by key only), and no phrase may choose two keys."""
        phrases: dict[str, dict[str, tuple[str, ...]]] = {}
        owners: dict[tuple[str, str], str] = {}
        example = 'a mapping of phone key to phrases per language ("1": {en: [policy]})'
        for key, value in self.pairs(field[1], path, example):
            key_path = join_path(path, key.value)
            if key.value not in self.menu_options:
                message = f"'{key.value}' is not one of this menu's options"
                self.report(key, key_path, f"{message} ({', '.join(self.menu_options) or 'none'})")
                continue
            per_language: dict[str, tuple[str, ...]] = {}
            for lang_key, lang_value in self.pairs(value, key_path, "a mapping such as en: [...]"):
                lang_path = join_path(key_path, lang_key.value)
                language = self.read_language((lang_key, lang_key), lang_path, owner)
                said: list[str] = []
                for i, item in enumerate(self.items(lang_value, lang_path, "a list of phrases")):
                    phrase = " ".join(self.scalar(item, f"{lang_path}.{i}", "a phrase").split())
                    phrase = phrase.lower()
                    if not phrase:
                        continue
                    other = owners.setdefault((language, phrase), key.value)
                    if other != key.value:
                        message = f"'{phrase}' already chooses option '{other}'"
                        self.report(item, f"{lang_path}.{i}", message)
                    said.append(phrase)
                per_language[language] = tuple(said)
            phrases[key.value] = per_language
        return phrases

    def read_bands(self, field: Field, path: str, owner: str) -> Bands:
        """``{act: 0.8, confirm: 0.55}``: both optional, 0..1, confirm at most act."""
        values = {"act": ACT, "confirm": CONFIRM}
        for key, value in self.pairs(field[1], path, "a mapping with act and confirm (0..1)"):
            where = join_path(path, key.value)
            if key.value not in values:
                self.report(
                    key, where, f"unknown key '{key.value}'{did_you_mean(key.value, values)}"
                )
                continue
            raw = value.value.strip() if isinstance(value, yaml.ScalarNode) else ""
            if not re.fullmatch(r"0(\.\d+)?|1(\.0+)?", raw, re.ASCII):
                self.report(value, where, f"must be a number from 0 to 1, not {describe(value)}")
                continue
            values[key.value] = float(raw)
        if values["confirm"] > values["act"]:
            self.report(field[1], path, "confirm must not be above act")
        return Bands(values["act"], values["confirm"])

    def read_key_languages(self, field: Field, path: str, owner: str) -> dict[str, str]:
        return self.keyed(field, path, lambda f, p: self.read_language(f, p, owner))

    # -- queues and scripts -------------------------------------------------------------------
    def read_status_refs(self, field: Field, path: str, owner: str) -> dict[str, str]:
        routes: dict[str, str] = {}
        for key, value in self.pairs(field[1], path, "a mapping of QUEUESTATUS to node"):
            target = self.read_ref((key, value), join_path(path, key.value), owner)
            if key.value in QUEUE_STATUSES:
                routes[key.value] = target
            else:
                choices = f" (one of {', '.join(sorted(QUEUE_STATUSES))})"
                hint = did_you_mean(str(key.value).upper(), QUEUE_STATUSES, choices)
                self.report(
                    key, join_path(path, key.value), f"unknown queue status '{key.value}'{hint}"
                )
        return routes

    def read_queue_name(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a queue name")
        if name and not QUEUE_NAME.fullmatch(name):
            message = "a queue name is lower-case letters, digits and -, starting with a letter"
            self.report(field[1], path, message)
        return name

    def read_outcome_refs(self, field: Field, path: str, owner: str) -> dict[str, str]:
        routes: dict[str, str] = {}
        for key, value in self.pairs(field[1], path, "a mapping of script outcome to node"):
            routes[str(key.value)] = self.read_ref((key, value), join_path(path, key.value), owner)
        return routes

    def check_outcomes(self, node: Any, pairs: list[Field], path: str) -> None:
        """Each route of a script node names an outcome the script can end with."""
        known = self.known_scripts
        if not isinstance(known, Mapping) or node.script not in known:
            return
        outcomes = known[node.script]
        for key, value in pairs:
            if key.value != "routes" or not isinstance(value, yaml.MappingNode):
                continue
            for outcome, _target in value.value:
                if outcome.value not in outcomes:
                    listed = f" ({node.script} ends with: {', '.join(outcomes) or 'no outcome'})"
                    hint = did_you_mean(str(outcome.value), outcomes, listed)
                    message = f"unknown outcome '{outcome.value}'{hint}"
                    self.report(outcome, join_path(f"{path}.routes", outcome.value), message)

    def read_script(self, field: Field, path: str, owner: str) -> str:
        name = self.scalar(field[1], path, "a script name")
        known = self.known_scripts
        if name and known is not None and name not in known:
            listed = f" (known: {', '.join(sorted(known)) or 'none'})"
            message = f"unknown script '{name}'{did_you_mean(name, known, listed)}"
            self.report(field[1], path, message)
        return name

    # -- opening hours ------------------------------------------------------------------------
    def read_weekly(self, field: Field, path: str, owner: str) -> dict[int, tuple[Interval, ...]]:
        weekly: dict[int, tuple[Interval, ...]] = {}
        given_by: dict[int, str] = {}
        for key, value in self.pairs(field[1], path, "a mapping of days to time ranges"):
            key_path = join_path(path, key.value)
            try:
                days = parse_days(str(key.value))
            except ValueError as exc:
                self.report(key, key_path, str(exc))
                continue
            intervals = []
            for i, item in enumerate(self.items(value, key_path, 'a list such as ["08:00-17:00"]')):
                try:
                    if text := self.scalar(item, f"{key_path}.{i}", "a time range"):
                        intervals.append(parse_interval(text))
                except ValueError as exc:
                    self.report(item, f"{key_path}.{i}", str(exc))
            overlap = find_overlap(intervals)
            if overlap:
                first, second = (format_interval(interval) for interval in overlap)
                self.report(value, key_path, f"the time ranges {first} and {second} overlap")
            again = [DAYS[day] for day in days if day in given_by]
            if again:
                message = f"{', '.join(again)} already given by '{given_by[DAYS.index(again[0])]}'"
                self.report(key, key_path, message)
            for day in days:
                given_by.setdefault(day, str(key.value))
                weekly.setdefault(day, tuple(sorted(intervals)))
        return weekly

    def read_dates(self, field: Field, path: str, owner: str) -> frozenset[date]:
        dates: set[date] = set()
        for i, item in enumerate(self.items(field[1], path, 'a list such as ["2026-09-02"]')):
            try:
                if text := self.scalar(item, f"{path}.{i}", "a date"):
                    dates.add(parse_holiday(text))
            except ValueError as exc:
                self.report(item, f"{path}.{i}", str(exc))
        return frozenset(dates)
