"""Settings: pydantic models with the manual's defaults, one TOML file, atomic saves.

The store functions are imported on first use, so that
``python -m netvision.settings.store`` runs that module only once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netvision.settings.models import Settings

if TYPE_CHECKING:
    from netvision.settings.store import (
        SettingsError,
        apply_changes,
        changed_keys,
        check_file,
        default_settings_toml,
        load_settings,
        save_settings,
        settings_from_toml,
        settings_to_toml,
    )

__all__ = [
    "Settings",
    "SettingsError",
    "apply_changes",
    "changed_keys",
    "check_file",
    "default_settings_toml",
    "load_settings",
    "save_settings",
    "settings_from_toml",
    "settings_to_toml",
]

_FROM_STORE = frozenset(__all__) - {"Settings"}


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        from netvision.settings import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
