"""The NUT network protocol's text (RFC 9271; NUT docs/net-protocol.txt): pure code.

Requests are lines parsed as NUT's parseconf parses them (common/parseconf.c), so that
whatever upsd understands is understood the same way: words separated by white space,
a word in "double quotes" may hold spaces, ``\\`` takes the next character as it is,
``#`` starts a comment (and is an error inside quotes), ``=`` is a word of its own, and
only printable ASCII is kept. Like parseconf, at most 32 words of 512 characters are
kept. Where upsd would go on reading the next line into an unbalanced quote, the request
is refused (``ERR INVALID-ARGUMENT``).

Framing bounds memory: a request line is at most :data:`MAX_REQUEST` bytes; a longer one
is thrown away as it arrives and answered ``ERR TOO-LONG``. Every reply line stays
under 512 bytes (libupsclient reads lines into ``UPSCLI_NETBUF_LEN`` = 512 bytes): a
value that would not fit is shortened.
"""

from __future__ import annotations

import enum
import unicodedata

MAX_REQUEST = 1024  # bytes of a request line, newline excluded
MAX_REPLY_LINE = 511  # bytes of a reply line, newline included
MAX_WORDS = 32  # parseconf's PCONF_DEFAULT_ARG_LIMIT: later words are dropped
MAX_WORD = 512  # parseconf's PCONF_DEFAULT_WORDLEN_LIMIT: longer words are cut

PROTOCOL_VERSION = "1.3"  # NUT_NETVERSION


class Error(enum.StrEnum):
    """RFC 9271 §5 error words (``ERR <word>``)."""

    ACCESS_DENIED = "ACCESS-DENIED"
    UNKNOWN_UPS = "UNKNOWN-UPS"
    VAR_NOT_SUPPORTED = "VAR-NOT-SUPPORTED"
    CMD_NOT_SUPPORTED = "CMD-NOT-SUPPORTED"
    INVALID_ARGUMENT = "INVALID-ARGUMENT"
    INSTCMD_FAILED = "INSTCMD-FAILED"
    SET_FAILED = "SET-FAILED"
    READONLY = "READONLY"
    TOO_LONG = "TOO-LONG"
    FEATURE_NOT_SUPPORTED = "FEATURE-NOT-SUPPORTED"
    FEATURE_NOT_CONFIGURED = "FEATURE-NOT-CONFIGURED"
    ALREADY_SSL_MODE = "ALREADY-SSL-MODE"
    DRIVER_NOT_CONNECTED = "DRIVER-NOT-CONNECTED"
    DATA_STALE = "DATA-STALE"
    ALREADY_LOGGED_IN = "ALREADY-LOGGED-IN"
    INVALID_PASSWORD = "INVALID-PASSWORD"
    ALREADY_SET_PASSWORD = "ALREADY-SET-PASSWORD"
    INVALID_USERNAME = "INVALID-USERNAME"
    ALREADY_SET_USERNAME = "ALREADY-SET-USERNAME"
    USERNAME_REQUIRED = "USERNAME-REQUIRED"
    PASSWORD_REQUIRED = "PASSWORD-REQUIRED"
    UNKNOWN_COMMAND = "UNKNOWN-COMMAND"
    INVALID_VALUE = "INVALID-VALUE"


class ParseError(ValueError):
    """A request line parseconf would not take as one request."""


# -- requests ----------------------------------------------------------------------------------

_SPACE = frozenset(b" \t\n\v\f\r")
_BACKSLASH, _QUOTE, _HASH, _EQUALS = 0x5C, 0x22, 0x23, 0x3D


def parse_request(line: bytes) -> list[str]:
    """The words of one request line (its newline already removed). Raises ParseError."""
    words: list[str] = []
    word = bytearray()
    in_word = quoted = literal = False

    def keep(byte: int) -> None:
        # parseconf keeps printable ASCII only (CVE-2012-2944) and cuts long words.
        if 0x20 <= byte < 0x7F and len(word) < MAX_WORD:
            word.append(byte)

    def add(text: str) -> None:
        if len(words) < MAX_WORDS:
            words.append(text)

    def end_word() -> None:
        nonlocal in_word
        add(word.decode("ascii"))
        word.clear()
        in_word = False

    for byte in line:
        if literal:
            keep(byte)
            literal = False
        elif quoted:
            if byte == _HASH:
                raise ParseError("unbalanced word: '#' inside quotes")
            if byte == _QUOTE:
                quoted = False
                end_word()
            elif byte == _BACKSLASH:
                literal = True
            else:
                keep(byte)
        elif in_word:
            if byte == _HASH:
                end_word()
                break
            if byte in _SPACE:
                end_word()
            elif byte == _EQUALS:
                end_word()
                add("=")
            elif byte == _BACKSLASH:
                literal = True
            else:
                keep(byte)
        else:
            if byte == _HASH:
                break
            if byte in _SPACE:
                continue
            if byte == _QUOTE:
                quoted = in_word = True
            elif byte == _EQUALS:
                add("=")
            elif byte == _BACKSLASH:
                in_word = literal = True
            else:
                in_word = True
                keep(byte)
    if quoted:
        raise ParseError("unbalanced quotes")
    if in_word:
        end_word()
    return words


class LineFramer:
    """Splits the byte stream into request lines, holding at most ``limit`` bytes of an
    unfinished line. A longer line is dropped as it arrives and reported as ``None``."""

    def __init__(self, limit: int = MAX_REQUEST) -> None:
        self.limit = limit
        self._buffer = bytearray()
        self._discarding = False

    @property
    def pending(self) -> bool:
        """Part of a line is waiting for its end."""
        return bool(self._buffer) or self._discarding

    def feed(self, data: bytes) -> list[bytes | None]:
        lines: list[bytes | None] = []
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                rest = data[start:]
                if not self._discarding:
                    if len(self._buffer) + len(rest) > self.limit:
                        self._buffer.clear()
                        self._discarding = True
                    else:
                        self._buffer += rest
                return lines
            piece = data[start:end]
            if self._discarding or len(self._buffer) + len(piece) > self.limit:
                lines.append(None)
            else:
                lines.append(bytes(self._buffer + piece))
            self._buffer.clear()
            self._discarding = False
            start = end + 1


# -- replies -----------------------------------------------------------------------------------

_ESCAPED = {"\\": "\\\\", '"': '\\"', "#": "\\#"}  # parseconf's pconf_encode


def printable(text: str) -> str:
    """``text`` as parseconf keeps it: ASCII letters for accented ones, a space for a
    control character, nothing for what has no ASCII form."""
    if text.isascii() and text.isprintable():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join((" " if not char.isprintable() else char) for char in decomposed if char.isascii())


def quoted(value: str, room: int = MAX_REPLY_LINE) -> str:
    """``"value"`` escaped as pconf_encode does, shortened to at most ``room`` bytes."""
    parts = ['"']
    used = 2
    for char in printable(value):
        piece = _ESCAPED.get(char, char)
        if used + len(piece) > room:
            break
        parts.append(piece)
        used += len(piece)
    parts.append('"')
    return "".join(parts)


def line(*words: str, value: str | None = None, values: tuple[str, ...] = ()) -> str:
    """One reply line: plain words, then quoted value(s), kept under 512 bytes."""
    head = " ".join(words)
    texts = (value,) if value is not None else values
    if not texts:
        return head[: MAX_REPLY_LINE - 1] + "\n"
    room = MAX_REPLY_LINE - 1 - len(head) - len(texts)  # newline and one space per value
    share = max(2, room // len(texts))
    return head + "".join(" " + quoted(text, share) for text in texts) + "\n"


def error(word: Error, detail: str = "") -> str:
    return line("ERR", word.value, *((printable(detail),) if detail else ()))


OK = "OK\n"
