"""netvision: a UPS network gateway for Socomec UPS and STS."""

__version__ = "0.1.0"
