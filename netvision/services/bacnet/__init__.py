"""BACnet/IP device (FR §15.13, annex "Définition des objets BACnet"; BACnet
interface document spec/bacnet-interface.en.txt): the UPS as 88 Analog Values,
10 Multi-state Values and 3 BitString Values, read-only, with COV."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..registry import ServiceContext
    from .service import BacnetService


def create_service(context: ServiceContext) -> BacnetService:
    from .service import BacnetService

    return BacnetService(context)
