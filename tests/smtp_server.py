"""An SMTP server for the tests (aiosmtpd on a free loopback port) and what it received.

The modules that use it skip first when aiosmtpd is missing
(``pytest.importorskip("aiosmtpd")``)."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Inbox:
    """What an aiosmtpd server received: one parsed message per envelope, with its recipients."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for recipients, message in self.mails if address in recipients]


class Server:
    """An SMTP server on 127.0.0.1 (``port`` or a free one) while in its ``with`` block;
    ``kwargs`` go to aiosmtpd's Controller (TLS, authentication...)."""

    def __init__(self, port: int | None = None, **kwargs: Any) -> None:
        self.inbox = Inbox()
        self.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def text_of(message: EmailMessage) -> str:
    """The plain-text body of ``message``."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
