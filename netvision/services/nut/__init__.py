"""NUT-compatible server (RFC 9271, TCP 3493): NUT clients are shutdown clients of the gateway."""

from .service import NutService

__all__ = ["NutService"]
