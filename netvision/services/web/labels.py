"""The web pages' labels come from the i18n tables (:mod:`netvision.i18n`)."""

from __future__ import annotations

from ...i18n import has, label

t = label

__all__ = ["has", "t"]
