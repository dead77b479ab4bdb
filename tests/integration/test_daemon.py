"""The daemon's lifecycle of services."""

from __future__ import annotations

import asyncio

from tests.conftest import free_port, wait_for


async def test_a_service_switched_on_later_starts_without_a_restart(make_daemon):
    daemon = await make_daemon()
    assert not any(service.name == "modbus_tcp" for service in daemon.services)
    port = free_port()
    await daemon.settings_manager.change(
        {"modbus_tcp.enabled": True, "modbus_tcp.port": port, "modbus_tcp.bind": "127.0.0.1"}, via="test", by="test"
    )
    assert any(service.name == "modbus_tcp" for service in daemon.services)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Read one word of the JBUSP status table (function 0x03, 0x1020).
    writer.write(bytes.fromhex("0001 0000 0006 01 03 1020 0001".replace(" ", "")))
    reply = await asyncio.wait_for(reader.readexactly(11), 10)
    assert reply[7] == 0x03 and reply[8] == 2
    writer.close()
    await daemon.settings_manager.change({"modbus_tcp.enabled": False}, via="test", by="test")
    await wait_for(lambda: not daemon.addresses()[1:] or all("modbus" not in a for a in daemon.addresses()))
