"""Delivers one mail to the SMTP server with aiosmtplib (never blocks the event loop), and
classifies a failure with the codes of the manual's mail debug page (App. Troubleshooting).

Security: "none" (plain SMTP, no STARTTLS even if offered), "starttls" (STARTTLS required,
e.g. smtp.gmail.com:587) or "tls" (implicit TLS, port 465). The server's certificate is
verified against the configured CA file, or the system's store when none is set, and
must name the server.

Error codes (App. Troubleshooting "Email error code list"), from the exception:

- 101 "The server is unable to connect" (change the server's name or the port): the
  server's name does not resolve.
- 111 "Connection refused or inability to open an SMTP stream": the connection is
  refused, or the server answers but refuses the session (greeting or EHLO not 2xx), or
  closes it before the greeting; a TLS handshake that fails (certificate not trusted,
  wrong name, TLS on a plain port).
- 001 "Cannot connect to mail server": no connection or greeting in time, or the network
  cannot reach the server (unreachable host or network).
- 002 "Unknown error": everything after the session is open — authentication refused,
  sender or recipient refused, data refused, STARTTLS required but not offered.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from ...settings.models import MailSettings
from .codes import CANNOT_CONNECT, REFUSED, SERVER_UNABLE, UNKNOWN

TIMEOUT = 30.0


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery: ``code`` "" when the server took the mail."""

    ok: bool
    code: str = ""
    detail: str = ""  # the server's reply, or what failed
    permanent: bool = False  # retrying cannot help (every recipient refused with 5xx)
    refused_recipients: tuple[str, ...] = ()


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def classify(error: BaseException) -> Outcome:
    """The manual's code for a delivery that failed with ``error``."""
    detail = str(error) or type(error).__name__
    chain = _causes(error)
    if any(isinstance(cause, socket.gaierror) for cause in chain):
        return Outcome(False, SERVER_UNABLE, detail)
    if any(isinstance(cause, ConnectionRefusedError) for cause in chain):
        return Outcome(False, REFUSED, detail)
    if any(isinstance(cause, ssl.SSLError) for cause in chain):
        return Outcome(False, REFUSED, detail)
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = tuple(getattr(item, "recipient", "") for item in error.recipients)
        permanent = all(getattr(item, "code", 0) >= 500 for item in error.recipients)
        return Outcome(False, UNKNOWN, detail, permanent, refused)
    if isinstance(error, aiosmtplib.SMTPConnectResponseError | aiosmtplib.SMTPHeloError):
        return Outcome(False, REFUSED, detail)
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return Outcome(False, REFUSED, detail)
    if isinstance(error, aiosmtplib.SMTPReadTimeoutError) and not isinstance(
        error, aiosmtplib.SMTPConnectError
    ):
        return Outcome(False, UNKNOWN, detail)  # the session was open: the server stopped answering
    if isinstance(error, aiosmtplib.SMTPConnectTimeoutError | TimeoutError):
        return Outcome(False, CANNOT_CONNECT, detail)
    if isinstance(error, aiosmtplib.SMTPConnectError):
        return Outcome(False, CANNOT_CONNECT, detail)
    if isinstance(error, OSError) and not isinstance(error, aiosmtplib.SMTPException):
        return Outcome(False, CANNOT_CONNECT, detail)
    return Outcome(False, UNKNOWN, detail)


async def deliver(
    settings: MailSettings, message: EmailMessage | bytes, recipients: list[str], timeout: float = TIMEOUT
) -> Outcome:
    """Send ``message`` to ``recipients`` through the configured server."""
    security = settings.security
    context = tls_context(settings.ca_file) if security != "none" else None
    credentials: dict[str, str] = {}
    if settings.authentication:
        credentials = {"username": settings.account, "password": settings.password}
    try:
        responses, reply = await aiosmtplib.send(
            message,
            sender=settings.sender,
            recipients=recipients,
            hostname=settings.server,
            port=settings.port,
            timeout=timeout,
            use_tls=security == "tls",
            start_tls=security == "starttls",
            tls_context=context,
            **credentials,  # type: ignore[arg-type]
        )
    except Exception as error:  # every failure is classified and reported, none raised
        return classify(error)
    refused = tuple(address for address, response in responses.items() if response.code >= 400)
    return Outcome(True, "", reply, refused_recipients=refused)
