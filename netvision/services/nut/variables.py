"""NUT's standard variables (docs/nut-names.txt) from the snapshot: pure code.

One NUT UPS stands for the system; a parallel system adds one per unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...settings.models import NutSettings, SystemSettings
from ...ups.model import Snapshot
from ..shutdown.status import ShutdownStatus


@dataclass(frozen=True)
class NutUps:
    name: str  # as clients ask for it (LIST UPS)
    description: str  # UPSDESC
    unit: int  # 0 = the system (or the single UPS); N = unit N of a parallel system


def nut_upses(snapshot: Snapshot | None, system: SystemSettings, nut: NutSettings) -> tuple[NutUps, ...]:
    """The UPSes the server lists: the system under ``nut.ups_name``, then one per unit of a
    parallel system (``<ups_name>-unit<N>``). Aliases are names of the system, not listed."""
    raise NotImplementedError


def variables(
    snapshot: Snapshot | None, unit: int, status: ShutdownStatus, now: datetime, system: SystemSettings
) -> dict[str, str]:
    """Every variable of one NUT UPS, name -> value as sent (dot decimals, no exponent).
    ``ups.status`` carries FSD first when ``status.forced_shutdown``. Empty while no snapshot
    has identified the UPS yet."""
    raise NotImplementedError
