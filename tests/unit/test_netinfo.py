"""The board's network as Linux reports it."""

from __future__ import annotations

from netvision import netinfo

ROUTES = """Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
"""


def test_default_gateway_from_the_route_table(tmp_path):
    table = tmp_path / "route"
    table.write_text(ROUTES)
    assert netinfo.default_gateway(route_table=table) == "192.0.2.1"
    assert netinfo.default_gateway("eth1", route_table=table) is None
    table.write_text(ROUTES.splitlines()[0] + "\n")
    assert netinfo.default_gateway(route_table=table) is None


def test_mac_address_of_the_first_interface_with_a_real_one(tmp_path):
    for name, address in (("lo", "00:00:00:00:00:00"), ("eth0", "00:00:00:00:00:00"), ("eth1", "02:FC:00:00:00:01")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "address").write_text(address + "\n")
    assert netinfo.mac_address(sys_class_net=tmp_path) == "02:fc:00:00:00:01"
    assert netinfo.mac_address("eth0", sys_class_net=tmp_path) is None
    assert netinfo.mac_address("wlan0", sys_class_net=tmp_path) is None


def test_dhcp_lease_files_name_the_interface(tmp_path):
    (tmp_path / "dhclient.eth0.leases").write_text("lease {}\n")
    assert netinfo.dhcp_enabled("eth0", (tmp_path,))
    assert not netinfo.dhcp_enabled("eth1", (tmp_path,))
