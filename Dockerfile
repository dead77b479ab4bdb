# netvision in a container: give it the UPS serial port and a volume for its data:
#   docker build -t netvision .
#   docker run --device /dev/ttyUSB0 -v netvision:/var/lib/netvision \
#     -p 80:80 -p 443:443 -p 161:161/udp netvision
# Edit /etc/netvision/netvision.toml (serial.device = "/dev/ttyUSB0"), or mount your own.
FROM python:3.11-slim

WORKDIR /opt/netvision
COPY pyproject.toml README.md ./
COPY netvision ./netvision
RUN pip install --no-cache-dir . && mkdir -p /var/lib/netvision /etc/netvision
COPY config/netvision.toml /etc/netvision/netvision.toml

VOLUME /var/lib/netvision
ENTRYPOINT ["netvision"]
CMD ["run", "--config", "/etc/netvision/netvision.toml"]
