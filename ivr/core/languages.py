"""The languages the IVR speaks and understands: one list for flows, prompts, the knowledge
base, SMS texts, tickets and announcements. Each flow, prompt and entry has a text per
language; voices, recognizers and number words are chosen per language."""

from __future__ import annotations

LANGUAGES = ("vi", "zh", "en")  # Vietnamese, Mandarin Chinese, English
