"""``ivr prompts render``: synthesize every prompt of the flows before the first caller needs it.

Every text of every flow, plus the flow engine's built-in texts in each language of each flow,
goes through the prompt cache; texts already cached are skipped, so a second run renders none.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from ivr.core.settings import Settings
from ivr.flow.model import Flow
from ivr.tts.cache import PromptCache
from ivr.tts.espeak import SynthesisError


@dataclass
class RenderReport:
    rendered: int = 0
    cached: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # language, text, why


def texts_of(flows: Iterable[Flow], language: str | None = None) -> list[tuple[str, str]]:
    """Every (language, text) the flows can say, once each: the flows' own, the engine's
    built-in texts and the self-service texts that have no blanks to fill."""
    from ivr.self_service.texts import SAY
    from ivr.voice.texts import BUILT_IN

    fixed = [texts for texts in SAY.values() if "{" not in "".join(texts.values())]
    seen: dict[tuple[str, str], None] = {}
    for flow in flows:
        for pair in flow.prompt_texts():
            seen.setdefault(pair, None)
        for texts in [*BUILT_IN.values(), *fixed]:
            for flow_language in flow.languages:
                seen.setdefault((flow_language, texts[flow_language]), None)
    return [pair for pair in seen if language is None or pair[0] == language]


def render(
    prompts: PromptCache, texts: list[tuple[str, str]], progress: TextIO | None = None
) -> RenderReport:
    report = RenderReport()
    bar = ProgressBar(len(texts), progress)
    for language, text in texts:
        if prompts.cached(text, language):
            report.cached += 1
        else:
            try:
                prompts.audio(text, language)
                report.rendered += 1
            except SynthesisError as exc:
                report.failed.append((language, text, str(exc)))
        bar.advance()
    bar.close()
    return report


class ProgressBar:
    """``[#######.............] 12/40  30%  1.2 s`` on one line, redrawn in place on a
    terminal; elsewhere (a log file) only the final state is written."""

    WIDTH = 30

    def __init__(self, total: int, out: TextIO | None) -> None:
        self.total, self.done, self.out = total, 0, out
        self.live = out is not None and out.isatty()
        self.started = time.monotonic()
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()

    def close(self) -> None:
        if self.out is not None:
            self.out.write("\n")
            self.out.flush()

    def _draw(self) -> None:
        if self.out is None or not (self.live or self.done == self.total):
            return
        share = self.done / self.total if self.total else 1.0
        filled = round(share * self.WIDTH)
        elapsed = time.monotonic() - self.started
        self.out.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.total} {share:4.0%} {elapsed:6.1f} s"
        )
        self.out.flush()


def main(flows: Iterable[Flow], settings: Settings, language: str | None = None) -> int:
    """Render the prompts of ``flows``, print a summary; 1 if any prompt failed."""
    try:
        prompts = PromptCache(settings.prompts_dir, settings.tts_engines)
    except (ValueError, SynthesisError) as exc:
        print(exc)
        return 1
    report = render(prompts, texts_of(flows, language), progress=sys.stderr)
    print(
        f"rendered {report.rendered}, already cached {report.cached}, "
        f"failed {len(report.failed)} (cache: {prompts.directory})"
    )
    for failed_language, text, why in report.failed:
        print(f"failed [{failed_language}] {text!r}: {why}")
    return 1 if report.failed else 0
