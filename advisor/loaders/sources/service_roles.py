"""Whether a container is infrastructure (a proxy, database, cache, broker, frontend...) rather than a Python app.

Decided by the image's repository name (`bitnami/postgresql`, `org/app-frontend`, `pgautoupgrade/pgautoupgrade`)
and by the program its healthcheck runs (`pg_isready`, `redis-cli ping`, `celery inspect ping`). Used only to
narrow down which service could run an app-server script; anything not recognised counts as a possible app.
"""

from __future__ import annotations

import re

_INFRA_WORDS = frozenset({
    # proxies and web servers
    "nginx", "openresty", "traefik", "caddy", "haproxy", "envoy", "httpd", "apache", "apache2", "proxy", "varnish",
    "squid", "certbot",
    # databases, caches, brokers, search
    "postgres", "postgresql", "postgis", "timescaledb", "mysql", "mariadb", "mongo", "mongodb", "redis", "valkey",
    "keydb", "memcached", "rabbitmq", "kafka", "zookeeper", "nats", "elasticsearch", "opensearch", "solr",
    "clickhouse", "cassandra", "couchdb", "influxdb", "neo4j", "etcd", "consul", "vault", "minio", "db", "database",
    # tools and sidecars
    "adminer", "phpmyadmin", "kibana", "logstash", "fluentd", "grafana", "prometheus", "jaeger", "loki", "mailhog",
    "mailpit", "localstack", "portainer", "watchtower", "cadvisor", "flower", "selenium", "frontend", "node",
})
_INFRA_PREFIXES = ("pg", "postgres", "redis", "mysql", "mongo")  # pgbouncer, pgautoupgrade, redisearch ...
_INFRA_PROGRAMS = frozenset({
    "pg_isready", "psql", "redis-cli", "valkey-cli", "keydb-cli", "mysqladmin", "mysql", "mariadb-admin",
    "healthcheck.sh", "mongo", "mongosh", "rabbitmq-diagnostics", "rabbitmqctl", "nginx", "celery", "cqlsh",
})
_WORD = re.compile(r"[a-z0-9]+")


def image_words(image: str) -> list[str]:
    """The words of an image's repository name, without registry host, tag and digest."""
    name = image.lower().split("@", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if parts and ":" in parts[-1]:
        parts[-1] = parts[-1].split(":", 1)[0]
    return [word for part in parts for word in _WORD.findall(part)]


def is_infrastructure(image: str | None, healthcheck_program: str | None = None) -> bool:
    if healthcheck_program is not None and healthcheck_program.rsplit("/", 1)[-1] in _INFRA_PROGRAMS:
        return True
    if not image:
        return False
    return any(word in _INFRA_WORDS or word.startswith(_INFRA_PREFIXES) for word in image_words(image))


__all__ = ["image_words", "is_infrastructure"]
