"""MIB instrumentation that answers from an :class:`OidTree` instead of pysnmp's
object tree (shared/notes §3: GETNEXT cost grows with the tree there).

pysnmp still does message processing, USM security and VACM; this controller
only finds values. GET and GETNEXT are dictionary and bisect look-ups; SET is
handed to a :class:`WriteHandler` that validates every varbind before applying
any of them (RFC 3416 §4.2.5: all or nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from pysnmp.proto import rfc1905
from pysnmp.smi import error as smi_error
from pysnmp.smi.instrum import AbstractMibInstrumController

from .tree import Oid, OidTree

log = logging.getLogger("netvision.snmp")


class WriteHandler(Protocol):
    def check(self, var_binds: Sequence[tuple[Oid, Any, int]], manager: str) -> Callable[[], None]:
        """Validate every ``(oid, value, index)`` of one SET together; return what applies
        them, or raise a pysnmp SMI error naming the varbind at fault."""
        ...


def _resolve(value: Any) -> Any:
    return value() if callable(value) else value


def requesting_manager(context: dict[str, Any]) -> str:
    """``security name@address`` of the request being processed, for the event log."""
    engine = context.get("snmpEngine")
    if engine is None:
        return "???"
    try:
        request = engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        name = request["securityName"]
        name = name.asOctets().decode("utf-8", "replace") if hasattr(name, "asOctets") else str(name)
        address = request.get("transportAddress")
        return f"{name}@{address[0]}" if address else name
    except Exception:  # the execution context is pysnmp-internal; never fail a request on it
        return "???"


class TreeInstrumController(AbstractMibInstrumController):
    """Serves the latest tree; ``tree_source()`` is called once per request."""

    def __init__(self, tree_source: Callable[[], OidTree], writer: WriteHandler | None = None) -> None:
        self._tree_source = tree_source
        self._writer = writer

    @staticmethod
    def _check_read(var_binds: tuple[Any, ...], context: dict[str, Any]) -> None:
        # Every read view is the whole tree (VACM views "full"), so one check per
        # request decides for all its varbinds: it refuses a security level below
        # the user's (a v3 noAuthNoPriv request for an authPriv user).
        access = context.get("acFun")
        if access is not None and var_binds:
            name, value = var_binds[0]
            # Raises AuthorizationError for an unknown group or a too low security level;
            # "not in view" only means the requested OID itself is outside .1.3.6.1.
            access("read", (name, value), idx=0, **_without_idx(context))

    def read_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        self._check_read(var_binds, context)
        tree = self._tree_source()
        result = []
        for name, _value in var_binds:
            oid = tuple(name)
            value = tree.get(oid)
            result.append((name, rfc1905.noSuchInstance if value is None else _resolve(value)))
        return result

    def read_next_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        self._check_read(var_binds, context)
        tree = self._tree_source()
        result = []
        for name, _value in var_binds:
            found = tree.next(tuple(name))
            if found is None:
                result.append((name, rfc1905.endOfMibView))
            else:
                result.append((found[0], _resolve(found[1])))
        return result

    def write_variables(self, *var_binds: Any, **context: Any) -> list[tuple[Any, Any]]:
        access = context.get("acFun")
        manager = requesting_manager(context)
        requested = []
        for index, (name, value) in enumerate(var_binds):
            if access is not None and access("write", (name, value), idx=index, **_without_idx(context)):
                # VACM: the object is outside this manager's write view.
                raise smi_error.NoAccessError(name=name, idx=index)
            if self._writer is None:
                raise smi_error.NotWritableError(name=name, idx=index)
            requested.append((tuple(name), value, index))
        if self._writer is not None and requested:
            self._writer.check(requested, manager)()
        return [(name, value) for name, value in var_binds]


def _without_idx(context: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in context.items() if key != "idx"}
