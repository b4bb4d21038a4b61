"""Generate a large nginx.conf for benchmarks: N upstream blocks + N server blocks.

Each server has 3 locations (one of them a regex location) and 2 proxy_pass directives, as in the
2,000-server config measured for the peers in shared/knowledge/peers.md §4 (about 21 lines per server).

Usage: python bench/make_large_nginx.py N OUT
"""

from __future__ import annotations

import sys

HEADER = """\
user www-data;
worker_processes auto;
pid /run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    sendfile on;
    keepalive_timeout 65;
    proxy_read_timeout 30s;
"""


def server_block(index: int) -> str:
    a, b = divmod(index, 250)
    return f"""\
    upstream backend_{index} {{
        server 10.{a % 250}.{b}.1:8000 max_fails=3 fail_timeout=10s;
        server 10.{a % 250}.{b}.2:8000 backup;
        keepalive 16;
    }}
    server {{
        listen 80;
        server_name site{index}.example.com;
        proxy_connect_timeout 5s;
        location / {{
            proxy_pass http://backend_{index};
            proxy_set_header Host $host;
        }}
        location /api/ {{
            proxy_pass http://backend_{index};
            proxy_read_timeout 120s;
        }}
        location ~* \\.(css|js|png)$ {{
            root /var/www/site{index};
        }}
    }}
"""


def generate(count: int) -> str:
    return HEADER + "".join(server_block(index) for index in range(count)) + "}\n"


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: make_large_nginx.py N OUT")
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        handle.write(generate(int(sys.argv[1])))


if __name__ == "__main__":
    main()
