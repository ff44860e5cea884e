"""Satisfaction scores: one per call, with who served the caller (the AI agent or an agent
of a queue), for the reports per agent and queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from ivr.core.db import Database
from ivr.core.models import SurveyResponse


@dataclass(frozen=True)
class Score:
    call_id: str
    score: int
    via: str  # "dtmf" or "speech"
    handled_by: str  # "ai" or "human"
    agent: str | None
    queue: str | None
    language: str


class Surveys:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def record(self, score: Score) -> bool:
        """Store the call's score; False when the call has one already (the first stays)."""
        if not 1 <= score.score <= 5:
            raise ValueError(f"a survey score is 1 to 5, not {score.score}")
        if score.via not in ("dtmf", "speech") or score.handled_by not in ("ai", "human"):
            raise ValueError(f"survey of call {score.call_id}: bad via/handled_by")
        try:
            with self.database.session() as session:
                session.add(
                    SurveyResponse(
                        call_id=score.call_id,
                        score=score.score,
                        via=score.via,
                        handled_by=score.handled_by,
                        agent=score.agent or None,
                        queue=score.queue or None,
                        language=score.language,
                        answered_at=self.clock(),
                    )
                )
            return True
        except IntegrityError:
            return False
