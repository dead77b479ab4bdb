"""The bacpypes3 objects of the device: read-only, flags, UPS clock (no network)."""

from __future__ import annotations

from datetime import datetime

import pytest
from bacpypes3.basetypes import Reliability
from bacpypes3.errors import PropertyError

from netvision.services.bacnet import device as d
from netvision.services.bacnet import objects as o


async def test_every_object_refuses_writes_with_write_access_denied() -> None:
    made = [d.make_device_object(1883), *d.make_value_objects()]
    for obj in made:
        for prop, value in (("presentValue", 1), ("objectName", "X"), ("outOfService", False)):
            with pytest.raises(PropertyError) as refused:
                await obj.write_property(prop, value)
            assert refused.value.errorCode == "writeAccessDenied"
    assert made[1].presentValue == o.NOT_AVAILABLE


async def test_objects_start_out_of_service_with_a_communication_failure() -> None:
    av = d.make_value_objects()[0]
    assert list(av.statusFlags) == [0, 1, 0, 1]
    assert av.outOfService
    assert av.reliability == Reliability.communicationFailure
    assert av.units == o.ANALOG_OBJECTS[0].units


async def test_set_fault_drives_status_flags_reliability_and_out_of_service() -> None:
    av = d.make_value_objects()[0]
    changes: list[object] = []
    av._property_monitors["statusFlags"].append(lambda old, new: changes.append(new))
    d.set_fault(av, "")
    assert list(av.statusFlags) == [0, 0, 0, 0] and not av.outOfService
    d.set_fault(av, d.CONFIGURATION_ERROR)
    assert list(av.statusFlags) == [0, 1, 0, 1] and av.reliability == Reliability.configurationError
    d.set_fault(av, d.CONFIGURATION_ERROR)  # no change, no notification
    # COV detection watches Status_Flags: each change was announced to it.
    assert [list(flags) for flags in changes] == [[0, 0, 0, 0], [0, 1, 0, 1]]


async def test_multi_state_and_bitstring_objects_use_the_generic_cov_criteria() -> None:
    made = d.make_value_objects()
    msv = next(obj for obj in made if isinstance(obj, d.MultiStateValue))
    bsv = next(obj for obj in made if isinstance(obj, d.BitStringValue))
    assert msv._cov_criteria.__name__ == "GenericCriteria"
    assert bsv._cov_criteria.__name__ == "GenericCriteria"
    assert list(msv.stateText) == list(o.DEVICE_STATUS.states)
    assert list(bsv.bitText) == list(o.UPS_STATUS.bits)


async def test_device_local_date_and_time_are_the_ups_clock() -> None:
    device = d.make_device_object(1883, "MASTERYS")
    device._ups_time = datetime(2026, 5, 4, 15, 16, 17)
    assert tuple(device.localDate) == (126, 5, 4, 1)
    assert tuple(device.localTime) == (15, 16, 17, 0)
    assert device.vendorIdentifier == 591
    assert device.vendorName == "SOCOMEC UPS"


def test_a_port_in_use_is_an_error_at_open() -> None:
    first = d.open_socket("127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            d.open_socket("127.0.0.1", first.getsockname()[1])
    finally:
        first.close()
