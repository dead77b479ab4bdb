"""Wake-on-LAN (EN §18.11): magic packets to up to 32 servers."""

from .service import WakeOnLanService

__all__ = ["WakeOnLanService"]
