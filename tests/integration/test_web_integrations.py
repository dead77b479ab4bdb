"""The integration settings pages and their API (EN §18.7, §18.8, §18.12; FR §15.13): the
trap receivers and SNMPv3 users tables keep their secrets, refusals name the field, and the
test trap really reaches a receiver."""

from __future__ import annotations

import socket
from typing import Any

from tests.conftest import free_port, wait_for
from tests.integration.test_web_helpers import (
    ADMIN_PASSWORD,
    READER_PASSWORD,
    WRITER_PASSWORD,
    catcher,
    client,
    csrf_of,
    login,
)

pytest_plugins = ["tests.integration.test_web_helpers"]  # the make_web fixture

READ = "Rd-Community-771"
WRITE = "Wr-Community-772"
TRAP_COMMUNITY = "Trap-Community-773"
AUTH = "AuthPass-7741"
PRIV = "PrivPass-7742"
SECRETS = (READ, WRITE, TRAP_COMMUNITY, AUTH, PRIV)
PAGES = ("/snmp", "/snmp-traps", "/snmp-users", "/modbus", "/bacnet")


async def with_snmp(web: Any, receivers: list[dict[str, Any]], **more: Any) -> None:
    changes = {
        "snmp.enabled": True,
        "snmp.port": free_port(socket.SOCK_DGRAM),
        "snmp.bind": "127.0.0.1",
        "snmp.read_community": READ,
        "snmp.write_community": WRITE,
        "snmp.trap_receivers": receivers,
        "snmp.usm_users": [{"name": "nms", "auth_password": AUTH, "priv_password": PRIV}],
        **more,
    }
    await web.daemon.settings_manager.change(changes, via="test", by="test")
    offers = web.service.context.offers
    await wait_for(lambda: "snmp.test_trap" in offers)


async def test_pages_show_every_setting_and_no_secret_for_any_role(make_web: Any) -> None:
    web = await make_web()
    await with_snmp(web, [{"address": "127.0.0.1", "community": TRAP_COMMUNITY, "version": "v2c"}])
    expected = {
        "admin": {path: 200 for path in PAGES},
        "writer": {"/snmp": 200, "/snmp-traps": 200, "/snmp-users": 403, "/modbus": 200, "/bacnet": 200},
        "reader": {"/snmp": 403, "/snmp-traps": 403, "/snmp-users": 403, "/modbus": 200, "/bacnet": 200},
    }
    passwords = {"admin": ADMIN_PASSWORD, "writer": WRITER_PASSWORD, "reader": READER_PASSWORD}
    for user, pages in expected.items():
        async with client() as http:
            await login(http, web.http, user, passwords[user])
            for path, status in pages.items():
                async with http.get(web.http + path) as response:
                    text = await response.text()
                    assert response.status == status, (user, path)
                    assert not any(secret in text for secret in SECRETS), (user, path)
            async with http.get(web.http + "/api/v1/settings") as response:
                text = await response.text()
                assert not any(secret in text for secret in SECRETS), user
    async with client() as http:
        await login(http, web.http, "admin", ADMIN_PASSWORD)
        async with http.get(web.http + "/snmp") as response:
            page = await response.text()
        for key in (
            "snmp-port",
            "snmp-v3",
            "snmp-read_community",
            "serial-unit_select",
            "snmp-on_battery_trap_interval",
        ):
            assert f'id="f-{key}"' in page
        assert 'data-secret-state="set"' in page
        async with http.get(web.http + "/snmp-traps") as response:
            page = await response.text()
        assert page.count("data-test-trap") == 8
        assert "The battery is near of the end of backup time" in page  # trap 10 in words
        async with http.get(web.http + "/bacnet") as response:
            assert 'id="f-bacnet-device_id"' in await response.text()


async def test_trap_receivers_are_saved_keeping_each_rows_community(make_web: Any) -> None:
    web = await make_web()
    await with_snmp(web, [{"address": "10.0.0.1", "community": TRAP_COMMUNITY}])
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        rows = [
            # The saved row moves its address; its community (null) is kept.
            {"row": 0, "slot": 0, "address": "10.0.0.9", "port": 1162, "community": None, "version": "v2c",
             "trap_type": "netvision", "event_filter": "events", "severity": "information", "events": [10, 1, 14]},
            {"row": 1, "slot": None, "address": "", "port": 162, "community": None},  # unused: not stored
            {"row": 2, "slot": None, "address": "10.0.0.2", "port": 162, "community": None, "version": "v1"},
        ]  # fmt: skip
        async with http.put(
            web.http + "/api/v1/snmp/trap-receivers", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["rows"] == 2
        saved = web.daemon.settings_manager.settings.snmp.trap_receivers
        assert [(r.address, r.port, r.community, r.events) for r in saved] == [
            ("10.0.0.9", 1162, TRAP_COMMUNITY, [1, 10, 14]),
            ("10.0.0.2", 162, "public", []),
        ]
        # A wrong port names the row as the page shows it, by its label.
        rows[2]["port"] = 70000
        async with http.put(
            web.http + "/api/v1/snmp/trap-receivers", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            body = await response.json()
            assert response.status == 400
        assert body["fields"] == [
            {"field": "snmp.trap_receivers.2.port", "message": "Receiver 3, Port: must be at most 65535"}
        ]
        # A value of the wrong type too (422), with the same field names.
        rows[2]["port"] = "x"
        async with http.put(
            web.http + "/api/v1/snmp/trap-receivers", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 422
            assert (await response.json())["fields"][0]["field"] == "snmp.trap_receivers.2.port"
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        rows[2]["port"] = 162
        rows[2]["community"] = "mine"  # a Read/Write account changes no community
        async with http.put(
            web.http + "/api/v1/snmp/trap-receivers", json={"rows": rows}, headers=csrf_of(session)
        ) as response:
            assert response.status == 403


async def test_usm_users_are_admins_and_keep_their_passwords(make_web: Any) -> None:
    web = await make_web()
    await with_snmp(web, [])
    row = {"row": 0, "slot": 0, "name": "nms2", "security_level": "authPriv", "auth_protocol": "sha256",
           "auth_password": None, "priv_protocol": "aes", "priv_password": None, "write": True}  # fmt: skip
    async with client() as http:
        session = await login(http, web.http, "writer", WRITER_PASSWORD)
        async with http.put(
            web.http + "/api/v1/snmp/usm-users", json={"rows": [row]}, headers=csrf_of(session)
        ) as response:
            assert response.status == 403
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        new = {**row, "row": 1, "slot": None, "name": "other", "auth_password": "short"}
        async with http.put(
            web.http + "/api/v1/snmp/usm-users", json={"rows": [row, new]}, headers=csrf_of(session)
        ) as response:
            body = await response.json()
            assert response.status == 400, body
        assert body["fields"][0]["field"] == "snmp.usm_users.1.auth_password"
        assert body["fields"][0]["message"].startswith("User 2, Auth password:")
        async with http.put(
            web.http + "/api/v1/snmp/usm-users", json={"rows": [row]}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200
            answer = await response.text()
        assert not any(secret in answer for secret in SECRETS)
        (user,) = web.daemon.settings_manager.settings.snmp.usm_users
        assert (user.name, user.auth_protocol, user.auth_password, user.priv_password, user.write) == (
            "nms2", "sha256", AUTH, PRIV, True,
        )  # fmt: skip
        async with http.put(
            web.http + "/api/v1/snmp/usm-users", json={"rows": []}, headers=csrf_of(session)
        ) as response:
            assert response.status == 200
        assert web.daemon.settings_manager.settings.snmp.usm_users == []


async def test_a_refused_setting_names_its_field_and_a_port_clash_the_field_changed(make_web: Any) -> None:
    web = await make_web()
    await web.daemon.settings_manager.change(
        {"bacnet.enabled": True, "bacnet.port": free_port(socket.SOCK_DGRAM), "bacnet.bind": "127.0.0.1"},
        via="test", by="test",
    )  # fmt: skip
    bacnet_port = web.daemon.settings_manager.settings.bacnet.port
    async with client() as http:
        session = await login(http, web.http, "admin", ADMIN_PASSWORD)
        changes = {"snmp.enabled": True, "snmp.bind": "127.0.0.1", "snmp.port": bacnet_port}
        async with http.patch(
            web.http + "/api/v1/settings", json={"changes": changes}, headers=csrf_of(session)
        ) as response:
            body = await response.json()
            assert response.status == 400
        assert body["fields"][0]["field"] == "snmp.port"
        assert (
            body["fields"][0]["message"]
            == f"SNMP Port: UDP port {bacnet_port} is already used by BACnet Port"
        )
        assert body["problems"]  # the lines as before
        changes = {"modbus_tcp.port": 0}
        async with http.patch(
            web.http + "/api/v1/settings", json={"changes": changes}, headers=csrf_of(session)
        ) as response:
            body = await response.json()
        assert body["fields"] == [{"field": "modbus_tcp.port", "message": "Modbus Port: must be at least 1"}]


async def test_test_trap_reaches_the_receiver_of_its_row_and_is_bounded(make_web: Any) -> None:
    web = await make_web()
    port, received, transport = await catcher()
    try:
        await with_snmp(
            web,
            [
                {"address": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM), "community": "other"},
                {"address": "127.0.0.1", "port": port, "community": TRAP_COMMUNITY, "version": "v2c",
                 "event_filter": "events", "events": [1]},
            ],
        )  # fmt: skip
        async with client() as http:
            session = await login(http, web.http, "reader", READER_PASSWORD)
            async with http.post(
                web.http + "/api/v1/snmp/trap-receivers/1/test", headers=csrf_of(session)
            ) as response:
                assert response.status == 403
        async with client() as http:
            session = await login(http, web.http, "writer", WRITER_PASSWORD)
            async with http.post(
                web.http + "/api/v1/snmp/trap-receivers/1/test", headers=csrf_of(session)
            ) as response:
                body = await response.json()
                assert response.status == 200, body
            assert body == {"ok": True, "outcome": "sent", "to": f"127.0.0.1:{port}", "version": "v2c"}
            await wait_for(lambda: received.datagrams)
            (datagram,) = received.datagrams
            assert TRAP_COMMUNITY.encode() in datagram  # the row's own community, v2c
            assert (
                bytes([0xA3, 0x4B, 0x01, 0x01, 0x07, 0x02, 40]) in datagram
            )  # snmpTrapOID ...4555.1.1.7.2.40
            assert b"TRAP TEST" in datagram
            # Right away again: refused, the button cannot flood a receiver.
            async with http.post(
                web.http + "/api/v1/snmp/trap-receivers/1/test", headers=csrf_of(session)
            ) as response:
                assert response.status == 429
            async with http.post(
                web.http + "/api/v1/snmp/trap-receivers/5/test", headers=csrf_of(session)
            ) as response:
                assert (await response.json())["reason"] == "not_saved"
            await web.daemon.settings_manager.change({"snmp.enabled": False}, via="test", by="test")
            async with http.post(
                web.http + "/api/v1/snmp/trap-receivers/1/test", headers=csrf_of(session)
            ) as response:
                body = await response.json()
                assert response.status == 409
            assert body["reason"] == "snmp_off"
    finally:
        transport.close()
