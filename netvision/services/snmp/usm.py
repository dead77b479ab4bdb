"""The agent's User-based Security Model: pysnmp's, with the report for a security
level the user does not support sent as RFC 3412 requires.

RFC 3414 §3.2 step 5: a request at a security level the user does not support
(authPriv for a user without privacy…) is answered with a Report of
usmStatsUnsupportedSecLevels. pysnmp 7.1 prepares that report at the request's
own level, which it then cannot secure for that user, so the report is dropped
and the manager sees a timeout. The report is sent at noAuthNoPriv instead, as
net-snmp's own agent does: the level the user cannot use cannot secure the
report either. SNMPv3 never reaches the community fast path (fastpath.py): this
is pysnmp's part of the work.

pysnmp's USM is imported here first, with its privacy ciphers held back until a user
with privacy needs them (ciphers.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pysnmp.proto import errind, error

from .ciphers import import_usm

if TYPE_CHECKING:
    from pysnmp.proto.secmod.rfc3414.service import SnmpUSMSecurityModel
else:
    SnmpUSMSecurityModel = import_usm()

NO_AUTH_NO_PRIV = 1
# What the USM puts in its unsupportedSecurityLevel status (rfc3414/service.py 3.2.5).
_STATUS_KEYS = (
    "errorIndication",
    "oid",
    "val",
    "securityStateReference",
    "contextEngineId",
    "contextName",
    "msgUserName",
    "maxSizeResponseScopedPDU",
)


class UsmSecurityModel(SnmpUSMSecurityModel):  # type: ignore[misc]
    def process_incoming_message(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().process_incoming_message(*args, **kwargs)
        except error.StatusInformation as status:
            if status.get("errorIndication") is not errind.unsupportedSecurityLevel or "oid" not in status:
                raise
            report = {key: status[key] for key in _STATUS_KEYS if key in status}
            raise error.StatusInformation(**report, securityLevel=NO_AUTH_NO_PRIV) from None


def install(snmp_engine: Any) -> None:
    """Use :class:`UsmSecurityModel` in ``snmp_engine`` (before any v3 message arrives)."""
    snmp_engine.security_models[UsmSecurityModel.SECURITY_MODEL_ID] = UsmSecurityModel()
