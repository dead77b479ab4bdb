"""SNMP agent (RFC1628 UPS-MIB, NET VISION MIB) and traps (EN §18.2, §18.3, §18.7, §18.8)."""
