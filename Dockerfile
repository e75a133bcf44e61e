# anupalan as a container. The configuration is mounted at /etc/anupalan and
# the state (database, archive, outbox) lives in the /var/lib/anupalan volume;
# give relative paths in config.yaml and they resolve next to it, or absolute
# paths under /var/lib/anupalan.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini runs as PID 1: it passes SIGTERM on to anupalan, which finishes the step
# in progress and exits, and it reaps any child process.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 anupalan \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/anupalan \
       --shell /usr/sbin/nologin anupalan

WORKDIR /opt/anupalan
COPY pyproject.toml README.md ./
COPY daemon ./daemon
RUN pip install --no-cache-dir . \
    && mkdir -p /etc/anupalan /var/lib/anupalan \
    && chown 10001:10001 /var/lib/anupalan

USER 10001:10001
WORKDIR /var/lib/anupalan
VOLUME ["/etc/anupalan", "/var/lib/anupalan"]

# Unhealthy when the mailbox has not been read for several poll intervals,
# deliveries are failing, or mail in the mailbox was not ingested.
HEALTHCHECK --interval=5m --timeout=60s --start-period=5m --retries=2 \
    CMD ["anupalan", "--config", "/etc/anupalan/config.yaml", "--quiet", "health"]

ENTRYPOINT ["tini", "--", "anupalan", "--config", "/etc/anupalan/config.yaml"]
CMD ["run"]
