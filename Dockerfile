# anupalan as a container: the service, its configuration and state on volumes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system anupalan && useradd --system --gid anupalan --home-dir /srv/anupalan anupalan

WORKDIR /opt/anupalan
COPY pyproject.toml README.md ./
COPY daemon ./daemon
RUN pip install .

WORKDIR /srv/anupalan
RUN mkdir -p /srv/anupalan/var && chown -R anupalan:anupalan /srv/anupalan
USER anupalan
VOLUME ["/srv/anupalan/var"]

# The configuration is mounted at /etc/anupalan/config.yaml; paths in it are
# relative to that file, so point storage and mailbox paths at /srv/anupalan/var.
ENTRYPOINT ["anupalan", "--config", "/etc/anupalan/config.yaml"]
CMD ["run"]
