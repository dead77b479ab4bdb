# netvision in a container: give it the UPS serial port with
#   docker run --device /dev/ttyUSB0 -v netvision:/var/lib/netvision \
#     -p 80:80 -p 443:443 -p 161:161/udp netvision run --config /etc/netvision/netvision.toml
FROM python:3.11-slim

WORKDIR /opt/netvision
COPY pyproject.toml README.md ./
COPY netvision ./netvision
RUN pip install --no-cache-dir . && useradd --system --home /var/lib/netvision netvision \
    && mkdir -p /var/lib/netvision /etc/netvision && chown netvision /var/lib/netvision
COPY config/netvision.toml /etc/netvision/netvision.toml

# Privileged ports (80, 443, 161, 502) need this capability when not run as root.
VOLUME /var/lib/netvision
ENTRYPOINT ["netvision"]
CMD ["run", "--config", "/etc/netvision/netvision.toml"]
