"""The Firewall Setup page and the lock-out check of a settings change (EN §18.3, §18.15).

A change after which the browser that sends it would be refused needs the request to
say ``"confirm_lockout": true``; the page asks the user first. Only admin changes the
rules: a Read/Write user cannot shut admin out.
"""

from __future__ import annotations

from aiohttp import web

from ...access import AccessControl
from ...settings import Settings
from .app import ApiError, session_of, state_of
from .labels import t
from .pages import e, page, settings_form


def check_lockout(request: web.Request, old: Settings, new: Settings, confirmed: bool) -> None:
    """Raise ApiError 403/409 when ``new`` changes the access control without the rights
    or would refuse the client sending the request without its confirmation."""
    if new.access_control == old.access_control:
        return
    if not session_of(request).is_admin:
        raise ApiError(403, "only admin changes the firewall rules")
    section = new.access_control
    control = AccessControl.from_settings(section.enabled, section.rules, section.default_action)
    client = request.remote or ""
    if not confirmed and not control.allows(client):
        raise ApiError(
            409,
            f"after this change the firewall would refuse your address {client}: "
            "this browser would be cut off; send it again with confirm_lockout to apply it anyway",
            lockout=True,
            client=client,
        )


ACCESS_KEYS = ("access_control.enabled", "access_control.default_action")


async def firewall_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    section = state.settings.access_control
    can_change = session.is_admin
    disabled = "" if can_change else " disabled"
    rows = []
    for index, rule in enumerate(section.rules):
        rows.append(_row(index, rule.address, rule.prefix_length, rule.action, language, disabled))
    template = _row(-1, "", 32, "accept", language, disabled)
    denials = state.context.access.denials.total
    head = "".join(f"<th>{e(t(key, language))}</th>" for key in ("firewall.index", "firewall.address", "firewall.prefix", "firewall.action", ""))
    buttons = (
        f'<button type="button" id="firewall-add">{e(t("firewall.add", language))}</button> '
        f'<button type="submit">{e(t("form.save", language))}</button>'
        if can_change
        else f'<p class="notice">{e(t("firewall.admin_only", language))}</p>'
    )
    body = f"""<p class="hint">{e(t('firewall.help', language))}</p>
{settings_form(request, ACCESS_KEYS, language, can_change)}
<form id="firewall-form" data-confirm="{e(t('firewall.confirm_lockout', language))}">
<table class="grid" id="firewall-rules"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<template id="firewall-row">{template}</template>
{buttons}</form>
<p>{e(t('firewall.refused', language))}: <span id="firewall-refused">{denials}</span></p>"""
    return page(request, "menu.firewall", body, page_name="firewall")


def _row(index: int, address: str, prefix: int, action: str, language: str, disabled: str) -> str:
    options = "".join(
        f'<option value="{value}"{" selected" if value == action else ""}>{e(t("firewall." + value, language))}</option>'
        for value in ("accept", "reject")
    )
    number = str(index + 1) if index >= 0 else ""
    remove = f'<button type="button" class="secondary" data-remove-rule>{e(t("firewall.remove", language))}</button>' if not disabled else ""
    return (
        f'<tr data-rule><td class="rule-index">{number}</td>'
        f'<td><input type="text" name="address" value="{e(address)}" maxlength="45" required{disabled}></td>'
        f'<td><input type="number" name="prefix_length" value="{prefix}" min="0" max="128" required{disabled}></td>'
        f'<td><select name="action"{disabled}>{options}</select></td><td>{remove}</td></tr>'
    )


