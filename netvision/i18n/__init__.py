"""Labels shown to people: one table per language (:mod:`.en`, :mod:`.fr`), keyed by the
names the code uses. Register and event labels stay with their map and the event
catalogue, where the manual gives them in both languages.

An STS has its own wording for some labels (FR §13): ``sts:<key>`` is looked up first.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import en, fr

LANGUAGES = ("en", "fr")
TABLES: Mapping[str, Mapping[str, str]] = {"en": en.LABELS, "fr": fr.LABELS}


def table(language: str) -> Mapping[str, str]:
    return TABLES.get(language, en.LABELS)


def has(key: str) -> bool:
    return key in en.LABELS


def label(key: str, language: str = "en", sts: bool = False) -> str:
    """The label of ``key`` in ``language`` (the STS wording first for an STS); the key
    itself if no table has it."""
    labels = table(language)
    if sts:
        text = labels.get("sts:" + key)
        if text is not None:
            return text
    text = labels.get(key)
    if text is None:
        text = en.LABELS.get(key, key)
    return text


t = label
