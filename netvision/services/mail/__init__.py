"""E-mail notification (EN §18.9): events and a daily status to up to 8 recipients, through
a queue on disk that survives restarts."""

from .service import MailService

__all__ = ["MailService"]
