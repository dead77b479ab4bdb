"""``netvision agent``: the shutdown client a server runs to follow the gateway's UPS.

A NUT secondary (RFC 9271) small enough to start fast on any server: it imports
nothing of the gateway's daemon. ``protocol`` and ``decision`` are pure; ``client``
and ``actions`` do the I/O; ``main`` is the command.
"""
