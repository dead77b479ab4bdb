"""The register image the Modbus TCP server answers from.

Built from the poller's latest snapshot (statuses, alarms, measurements of the
system, every unit and every module, at their absolute addresses) and the
identity tables read once after detection, so a client reads the UPS's own
address space (EN §7.3, App. "MODBUS TCP ACCESS"). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...ups.maps.base import NOT_MANAGED, RegisterMap
from ...ups.model import DeviceState, RegisterBlock, Snapshot


def device_states(snapshot: Snapshot) -> list[DeviceState]:
    states = [snapshot.system] if snapshot.system is not None else []
    for unit in snapshot.units:
        states.append(unit.state)
        states.extend(module.state for module in unit.modules)
    states.extend(module.state for module in snapshot.modules)
    return states


def _fill(name: str) -> int:
    # The poller does not read the unnamed tail of a table (JBUSP M44–M47, VU-MAP
    # M076–M079, the STS status word 3). A measurement word nobody reports is "not
    # managed", -1 (App. JBUSP "Value -1 means that the measurement is not managed");
    # an unread status or alarm word has no bit set.
    return NOT_MANAGED if name == "measurements" else 0


class RegisterImage:
    """Word-addressed view of every cached table; a read must fall entirely inside it."""

    def __init__(self, words: dict[int, int] | None = None) -> None:
        self._words = words or {}

    @classmethod
    def build(cls, register_map: RegisterMap | None, blocks: Iterable[RegisterBlock]) -> RegisterImage:
        words: dict[int, int] = {}
        for block in blocks:
            count = len(block.words)
            if register_map is not None and register_map.has_block(block.name):
                count = max(count, register_map.block(block.name).count)
            fill = _fill(block.name)
            for offset in range(count):
                address = block.address + offset
                if address > 0xFFFF:
                    break
                words[address] = block.words[offset] if offset < len(block.words) else fill
        return cls(words)

    @classmethod
    def from_snapshot(
        cls, snapshot: Snapshot, register_map: RegisterMap | None, identity: Iterable[RegisterBlock] = ()
    ) -> RegisterImage:
        blocks: list[RegisterBlock] = list(identity)
        for state in device_states(snapshot):
            blocks.extend(state.registers)
        return cls.build(register_map, blocks)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, address: int) -> bool:
        return address in self._words

    def read(self, address: int, count: int) -> list[int] | None:
        """The words at ``address``…``address + count - 1``, or None if one is not cached."""
        words = self._words
        try:
            return [words[a] for a in range(address, address + count)]
        except KeyError:
            return None
