"""The client side of the NUT network protocol (RFC 9271), without I/O.

Requests are lines of words; a word with blanks, quotes or backslashes goes in
double quotes with ``\\"`` and ``\\\\`` escapes (upsd parses requests the way its
configuration files are parsed). Replies are ``OK [text]``, ``ERR <WORD> [extra]``,
``VAR <ups> <var> "<value>"`` and lists framed by ``BEGIN LIST …`` / ``END LIST …``.
"""

from __future__ import annotations

from dataclasses import dataclass

# upsd keeps every reply under 512 bytes (clients/upsclient.h UPSCLI_NETBUF_LEN); a
# longer line is not a NUT server talking.
MAX_LINE = 512
# A list (LIST UPS, LIST VAR) longer than this is not read to its end.
MAX_LIST_ITEMS = 1000

# The ups.status tokens (docs/nut-names.txt), in words for the log.
STATUS_WORDS: dict[str, str] = {
    "OL": "on line",
    "OB": "on battery",
    "LB": "low battery",
    "HB": "high battery",
    "RB": "replace battery",
    "CHRG": "charging",
    "DISCHRG": "discharging",
    "BYPASS": "on bypass",
    "CAL": "calibrating",
    "OFF": "output off",
    "OVER": "overloaded",
    "TRIM": "trimming voltage",
    "BOOST": "boosting voltage",
    "FSD": "forced shutdown",
    "ALARM": "alarm",
    "ECO": "eco mode",
    "WAIT": "waiting for data",
}

# ERR words that mean "the server is there but has no fresh data for the UPS":
# upsmon counts them as lost communication (clients/upsmon.c).
NO_DATA_ERRORS = frozenset({"DATA-STALE", "DRIVER-NOT-CONNECTED"})


class ProtocolError(Exception):
    """A reply that is not what the protocol allows at this point."""


class NutError(Exception):
    """An ``ERR <WORD> [extra]`` reply."""

    def __init__(self, word: str, extra: str = "") -> None:
        super().__init__(f"ERR {word}" + (f" {extra}" if extra else ""))
        self.word = word
        self.extra = extra

    @property
    def no_data(self) -> bool:
        return self.word in NO_DATA_ERRORS


# ---------------------------------------------------------------- requests


def quote(word: str) -> str:
    """One request word, quoted when it must be."""
    if "\n" in word or "\r" in word or "\0" in word:
        raise ValueError("a NUT request word cannot hold a line break or a NUL")
    if word and not any(char in word for char in ' \t"\\'):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def request(*words: str) -> bytes:
    """A request line, ready to send."""
    line = " ".join(quote(word) for word in words) + "\n"
    encoded = line.encode("utf-8")
    if len(encoded) > MAX_LINE:
        raise ValueError("a NUT request is limited to 512 bytes")
    return encoded


# ---------------------------------------------------------------- replies


def split_words(line: str) -> list[str]:
    """The words of a line: blanks separate them, double quotes group them, backslash escapes."""
    words: list[str] = []
    current: list[str] = []
    in_word = in_quotes = False
    chars = iter(line.rstrip("\r\n"))
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
            in_word = True
        elif char == '"':
            if in_quotes:
                in_quotes = False
            else:
                in_quotes = in_word = True
        elif char in " \t" and not in_quotes:
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        else:
            current.append(char)
            in_word = True
    if in_quotes:
        raise ProtocolError(f"unterminated quote in reply: {line.strip()!r}")
    if in_word:
        words.append("".join(current))
    return words


def decode_line(raw: bytes) -> str:
    """A reply line as text, refusing what no NUT server sends."""
    if len(raw) > MAX_LINE:
        raise ProtocolError("reply line longer than 512 bytes")
    if not raw.endswith(b"\n"):
        raise ProtocolError("connection closed in the middle of a reply")
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def check_error(line: str) -> None:
    """Raise :class:`NutError` when the line is an ``ERR`` reply."""
    if line.startswith("ERR"):
        words = line.split(None, 2)
        if len(words) < 2 or words[0] != "ERR":
            raise ProtocolError(f"malformed error reply: {line!r}")
        raise NutError(words[1], words[2] if len(words) > 2 else "")


def parse_ok(line: str) -> str:
    """The text after ``OK`` (``""`` for a bare ``OK``)."""
    check_error(line)
    if line == "OK" or line.startswith("OK "):
        return line[3:]
    raise ProtocolError(f"expected OK, got {line!r}")


def parse_var(line: str, ups: str, variable: str) -> str:
    """The value in ``VAR <ups> <variable> "<value>"``, checked against the question."""
    check_error(line)
    words = split_words(line)
    if len(words) != 4 or words[0] != "VAR":
        raise ProtocolError(f"expected VAR, got {line!r}")
    if words[1] != ups or words[2] != variable:
        raise ProtocolError(f"answer for {words[1]} {words[2]}, asked for {ups} {variable}")
    return words[3]


@dataclass(frozen=True)
class ListItem:
    """One line inside a ``BEGIN LIST`` / ``END LIST`` block, as words."""

    words: tuple[str, ...]


class ListReader:
    """Reads the lines of a ``LIST <kind> [args]`` reply, one at a time.

    ``feed(line)`` returns True once the ``END LIST`` line is read; the items are in
    ``items`` (the words after the item keyword, e.g. ``("ups", "desc")`` for LIST UPS).
    """

    def __init__(self, *query: str) -> None:
        self.query = tuple(query)
        self.items: list[tuple[str, ...]] = []
        self._begun = False

    def feed(self, line: str) -> bool:
        if not self._begun:
            check_error(line)
            if tuple(split_words(line)) != ("BEGIN", "LIST", *self.query):
                raise ProtocolError(f"expected BEGIN LIST {' '.join(self.query)}, got {line!r}")
            self._begun = True
            return False
        words = split_words(line)
        if tuple(words) == ("END", "LIST", *self.query):
            return True
        if not words or words[0] != self.query[0]:
            raise ProtocolError(f"unexpected line in LIST {' '.join(self.query)}: {line!r}")
        if len(self.items) >= MAX_LIST_ITEMS:
            raise ProtocolError("list too long")
        self.items.append(tuple(words[1:]))
        return False


# ---------------------------------------------------------------- ups.status


@dataclass(frozen=True)
class UpsStatus:
    """The tokens of ``ups.status``; unknown tokens are kept and tolerated."""

    tokens: frozenset[str]
    text: str

    @property
    def on_battery(self) -> bool:
        return "OB" in self.tokens

    @property
    def on_line(self) -> bool:
        return "OL" in self.tokens

    @property
    def low_battery(self) -> bool:
        return "LB" in self.tokens

    @property
    def forced_shutdown(self) -> bool:
        return "FSD" in self.tokens

    @property
    def waiting(self) -> bool:
        """upsd says WAIT before the driver's first data: nothing known yet."""
        return self.tokens <= {"WAIT"}

    def describe(self) -> str:
        words = [STATUS_WORDS.get(token, token) for token in self.text.split()]
        return f"{self.text} ({', '.join(words)})" if words else "(empty)"


def parse_status(text: str) -> UpsStatus:
    tokens = text.split()
    return UpsStatus(frozenset(token.upper() for token in tokens), " ".join(tokens))


def parse_timer(text: str) -> int | None:
    """``ups.timer.shutdown`` in whole seconds; None when it is not a number or not running (< 0)."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds > 10**7:
        return None
    return int(seconds)
