"""Syslog (EN §18.13): RFC 5424 messages over UDP, TCP or TLS to one server."""

from .service import SyslogService

__all__ = ["SyslogService"]
