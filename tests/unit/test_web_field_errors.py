"""A refused settings change names the field the user changed, by its label, in the page's language."""

from __future__ import annotations

from typing import Any

import pytest

from netvision.services.web.field_errors import problem_fields
from netvision.services.web.integrations import TABLES
from netvision.settings import Settings
from netvision.settings.store import SettingsError, apply_changes

BACNET_ON = Settings.model_validate({"bacnet": {"enabled": True}})


def fields(changes: dict[str, Any], language: str = "en", **options: Any) -> list[dict[str, Any]]:
    with pytest.raises(SettingsError) as refused:
        apply_changes(BACNET_ON, changes)
    return problem_fields(refused.value.problems, changes, language, row_fields=TABLES, **options)


def test_a_bound_names_the_field_by_its_label() -> None:
    assert fields({"snmp.port": 70000}) == [
        {"field": "snmp.port", "message": "SNMP Port: must be at most 65535"}
    ]
    assert fields({"snmp.port": 70000}, "fr") == [
        {"field": "snmp.port", "message": "Port SNMP : doit valoir au plus 65535"}
    ]


def test_a_port_clash_is_put_on_the_port_that_changed() -> None:
    (problem,) = fields({"snmp.port": 47808})
    assert problem == {
        "field": "snmp.port",
        "message": "SNMP Port: UDP port 47808 is already used by BACnet Port",
    }
    (problem,) = fields({"bacnet.port": 161})
    assert problem["field"] == "bacnet.port"


def test_a_section_problem_goes_to_the_field_it_speaks_of() -> None:
    (problem,) = fields({"snmp.v1": False, "snmp.v2c": False, "snmp.v3": False})
    assert problem["field"] == "snmp.v1"


def test_a_row_problem_names_the_row_shown_on_the_page_and_its_field() -> None:
    changes = {
        "snmp.usm_users": [
            {"name": "a", "security_level": "noAuthNoPriv"},
            {"name": "b", "auth_password": "short"},
        ]
    }
    (problem,) = fields(changes, "fr", row_of=lambda table, index: index + 3)
    assert problem["field"] == "snmp.usm_users.4.auth_password"
    assert problem["message"].startswith("Utilisateur 5, Mot de passe d'authentification : ")
