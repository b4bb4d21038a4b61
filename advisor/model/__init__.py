"""The deployment model: routes, upstreams, app servers and links, every value with provenance."""
