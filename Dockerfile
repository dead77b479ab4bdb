# netvision in a container: give it the UPS serial port and a volume for its data:
#   docker build -t netvision .
#   docker run --device /dev/ttyUSB0 --group-add dialout -v netvision:/var/lib/netvision \
#     --cap-drop ALL --cap-add NET_BIND_SERVICE \
#     -p 80:80 -p 443:443 -p 161:161/udp netvision
# Edit /etc/netvision/netvision.toml (serial.device = "/dev/ttyUSB0"), or mount your own
# (writable by uid 10001: the settings pages save it).
#
# The daemon runs as the unprivileged user "netvision" (uid 10001). The one privilege it
# needs is binding ports below 1024 (HTTP 80, HTTPS 443, SNMP 161, Modbus TCP 502): the
# interpreter carries the file capability cap_net_bind_service and nothing else, so
# "--cap-drop ALL --cap-add NET_BIND_SERVICE" is enough. A file capability is not granted
# under "--security-opt no-new-privileges"; there, use ports above 1023 in the settings and
# publish them as 80/443/161 with -p, or rely on Docker giving a bridged container
# net.ipv4.ip_unprivileged_port_start=0.
FROM python:3.11-slim

WORKDIR /opt/netvision
COPY pyproject.toml README.md ./
COPY netvision ./netvision
# setcap comes from libcap2-bin, removed again once the capability is set.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcap2-bin \
    && pip install --no-cache-dir . \
    && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/python3)" \
    && apt-get purge -y --auto-remove libcap2-bin \
    && rm -rf /var/lib/apt/lists/*

# A system user of its own; the dialout group opens the serial ports (/dev/ttyS*, /dev/ttyUSB*).
# The data directory (logs, TLS key, accounts) is private to it (0700).
RUN useradd --system --uid 10001 --user-group --groups dialout \
        --home-dir /var/lib/netvision --no-create-home --shell /usr/sbin/nologin netvision \
    && mkdir -p /var/lib/netvision /etc/netvision \
    && chown netvision:netvision /var/lib/netvision /etc/netvision \
    && chmod 0700 /var/lib/netvision
COPY --chown=netvision:netvision config/netvision.toml /etc/netvision/netvision.toml

USER netvision
VOLUME /var/lib/netvision
ENTRYPOINT ["netvision"]
CMD ["run", "--config", "/etc/netvision/netvision.toml"]
