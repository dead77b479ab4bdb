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
from .forms import form_fields
from .templating import render


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
MAX_RULES = 32


async def firewall_page(request: web.Request) -> web.Response:
    state = state_of(request)
    session = session_of(request)
    language = state.language(session)
    can_change = session.is_admin
    return render(
        request,
        "firewall.html",
        title_key="menu.firewall",
        page_name="firewall",
        data={"max_rules": MAX_RULES},
        fields=form_fields(state.settings, ACCESS_KEYS, language, can_change),
        rules=list(state.settings.access_control.rules),
        can_change=can_change,
        denials=state.context.access.denials.total,
    )
