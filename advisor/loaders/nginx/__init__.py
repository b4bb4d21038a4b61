"""crossplane-based nginx loader: `load_nginx(path, host) -> NginxLoadResult`."""

from advisor.loaders.nginx.loader import NginxLoadResult, load_nginx

__all__ = ["NginxLoadResult", "load_nginx"]
