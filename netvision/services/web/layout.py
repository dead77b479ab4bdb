"""What the base layout shows around every page: the menu, the header, the status
banner and the notices. Pure functions of the state and the session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ...settings.models import link_href
from ...ups.model import Snapshot
from .sessions import Session
from .state import WebState
from .views import banner_view, last_read_text


@dataclass(frozen=True)
class MenuItem:
    href: str
    label_key: str
    external: bool = False
    text: str = ""  # an external link's own text


@dataclass(frozen=True)
class MenuGroup:
    label_key: str
    items: tuple[MenuItem, ...]


def remote_controls_permitted(snapshot: Snapshot) -> bool:
    """The UPS lets the network control it (§11.2.2 "if remote controls enabled by UPS"):
    UPS Control and Battery Test are shown only then, and stay hidden until the UPS has
    said so. Read Only users never see them."""
    return bool(snapshot.remote_controls_permitted)


def menu(state: WebState, session: Session) -> list[MenuGroup]:
    """The menu (§11.2), with the manual's access conditions (§11.2.2)."""
    snapshot = state.snapshot
    battery = snapshot.topology.battery_present if snapshot.topology else True
    groups = [
        MenuGroup(
            "menu.monitoring",
            (
                MenuItem("/", "menu.comprehensive"),
                MenuItem("/alarms", "menu.alarms"),
                MenuItem("/dashboard", "menu.dashboard"),
                MenuItem("/graph", "menu.graph"),
                MenuItem("/clients", "menu.clients"),
            ),
        )
    ]
    # Shutdown management always; the two schedules when their event is enabled (§11.2.2).
    management: list[MenuItem] = [MenuItem("/shutdown", "menu.shutdown")]
    if session.can_write and remote_controls_permitted(snapshot):
        management.append(MenuItem("/control", "menu.control"))
        if battery:
            management.append(MenuItem("/battery-test", "menu.battery_test"))
    shutdown = state.settings.shutdown
    if shutdown.event("weekly_schedule").enabled:
        management.append(MenuItem("/shutdown/weekly", "menu.shutdown_weekly"))
    if shutdown.event("special_day").enabled:
        management.append(MenuItem("/shutdown/special-days", "menu.shutdown_special"))
    groups.append(MenuGroup("menu.management", tuple(management)))
    netvision = [
        MenuItem("/datetime", "menu.datetime"),
        MenuItem("/configuration", "menu.configuration"),
        MenuItem("/nv-control", "menu.nv_control"),
    ]
    if session.is_admin:
        netvision.append(MenuItem("/users", "menu.users"))
    # SNMP pages: the communities and v3 users grant access, so they are write accounts' pages
    # (a secret only shows whether it is set); the v3 users are admin's alone.
    if session.can_write:
        netvision.append(MenuItem("/snmp", "menu.snmp"))
    if session.is_admin:
        netvision.append(MenuItem("/snmp-users", "menu.snmp_users"))
    if session.can_write:
        netvision.append(MenuItem("/snmp-traps", "menu.snmp_traps"))
    netvision.append(MenuItem("/modbus", "menu.modbus_tcp"))
    netvision.append(MenuItem("/nut", "menu.nut"))
    if not state.is_sts:
        netvision.append(MenuItem("/bacnet", "menu.bacnet"))  # BACnet is not offered for an STS (FR §15.13)
    if session.is_admin:
        netvision.append(MenuItem("/firewall", "menu.firewall"))
    netvision.append(MenuItem("/links-setup", "menu.links_setup"))
    groups.append(MenuGroup("menu.netvision", tuple(netvision)))
    notifications = [
        MenuItem("/mail", "menu.mail"),
        MenuItem("/mail-diagnostics", "menu.mail_diagnostics"),
        MenuItem("/syslog", "menu.syslog"),
    ]
    if not state.is_sts:
        notifications.append(MenuItem("/wake-on-lan", "menu.wake_on_lan"))  # none behind an STS (FR §15.11)
    groups.append(MenuGroup("menu.notifications", tuple(notifications)))
    if state.store() is not None:
        groups.append(
            MenuGroup(
                "menu.logs",
                (
                    MenuItem("/logs/history", "menu.history"),
                    MenuItem("/logs/extended", "menu.extended"),
                    MenuItem("/logs/ups", "menu.ups_events"),
                    MenuItem("/logs/netvision", "menu.nv_events"),
                    MenuItem("/logs/clear", "menu.clear_logs"),
                ),
            )
        )
    groups.append(MenuGroup("menu.account", (MenuItem("/account", "menu.account"),)))
    links = []
    for link in state.settings.web.external_links:
        href = link_href(link.address) if link.enabled and link.address else None
        if href is not None:  # a file written by hand is not validated by the web form
            links.append(MenuItem(href, "", external=True, text=link.text or link.address))
    if links:
        groups.append(MenuGroup("menu.links", tuple(links)))
    return groups


def ups_reference(snapshot: Snapshot) -> str:
    identity = snapshot.identity
    if identity is None:
        return ""
    text = identity.model
    if identity.nominal_kva:
        text += f" {identity.nominal_kva:g} kVA"
    return text


def layout_context(request: web.Request, state: WebState, session: Session, language: str) -> dict[str, Any]:
    system = state.settings.system
    snapshot = state.snapshot
    notice_days = session.password_notice
    session.password_notice = None  # FR §11.6: shown once, on the first page after the login
    return {
        "session": session,
        "menu": menu(state, session),
        "current_path": request.path,
        "ups_reference": ups_reference(snapshot),
        "stale_text": last_read_text(snapshot, language, system.time_zone, system.dst),
        "banner": banner_view(snapshot, language, system.time_zone, system.dst, state.is_sts),
        "password_days": notice_days,
        "sts": state.is_sts,
    }
