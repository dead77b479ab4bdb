"""Modbus TCP server: the UPS tables, read-only (EN §18.12, App. "MODBUS TCP ACCESS")."""

from .server import ModbusTcpService

__all__ = ["ModbusTcpService"]
