"""Shutdown management (EN §16.8): the procedure that tells the protected servers to shut
down, and switches the UPS output off and on again after them."""

from __future__ import annotations

from .service import ShutdownService

__all__ = ["ShutdownService"]
