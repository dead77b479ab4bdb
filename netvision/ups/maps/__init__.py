"""Register maps as data: JBUSP, VU-MAP and STS (manual §7.3, appendices)."""

from .base import RegisterMap
from .jbusp import JBUSP
from .sts import STS
from .vumap import VUMAP

# Detection order (§7.3, FR §7.5): VU-MAP, then JBUSP, then STS.
ALL_MAPS: tuple[RegisterMap, ...] = (VUMAP, JBUSP, STS)
MAPS_BY_NAME: dict[str, RegisterMap] = {register_map.name: register_map for register_map in ALL_MAPS}

__all__ = ["ALL_MAPS", "JBUSP", "MAPS_BY_NAME", "STS", "VUMAP", "RegisterMap"]
