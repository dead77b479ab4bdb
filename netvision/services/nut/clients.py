"""The client table (EN §15 "Client Table"; NET VISION MIB upsDevicesTable): who is connected
to the NUT-compatible server. Pure data; the NUT service offers the live table as
``offers["nut.clients"]`` (a callable returning a tuple of :class:`NutClient`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NutClient:
    index: int  # stable for the connection's life, from 1
    address: str  # the client's IP address
    port: int
    connected_since: datetime  # UTC
    user: str = ""  # USERNAME sent ('' before)
    ups: str = ""  # the UPS name of its LOGIN ('' = not logged in: a reader such as upsc)
    primary: bool = False  # PRIMARY/MASTER granted
    tls: bool = False  # STARTTLS done

    @property
    def logged_in(self) -> bool:
        """A shutdown client: NUT's NUMLOGINS counts these."""
        return bool(self.ups)
