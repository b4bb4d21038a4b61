"""The distribution advisor is installed as, and the project links kept in its metadata.

The import package and the command are `advisor`; the distribution on the package index is `proxy-advisor` (an
unrelated `advisor` exists there). The repository URL has one home, `[project.urls]` in pyproject.toml: it is read
from the checkout's pyproject.toml when advisor runs from one, else from the installed distribution's metadata.
While it is unset, `project_url()` is None and links built from it are left out rather than pointing nowhere.
"""

from __future__ import annotations

from pathlib import Path

DIST_NAME = "proxy-advisor"
_URL_LABELS = ("repository", "source", "homepage")
_CHECKOUT_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def install_hint(extra: str | None = None) -> str:
    """`pip install proxy-advisor` or `pip install 'proxy-advisor[plot]'`."""
    return f"pip install '{DIST_NAME}[{extra}]'" if extra else f"pip install {DIST_NAME}"


def _pick(urls: dict[str, str]) -> str | None:
    lowered = {label.strip().lower(): url.strip() for label, url in urls.items()}
    for label in _URL_LABELS:
        if lowered.get(label):
            return lowered[label].rstrip("/")
    return None


def _checkout_urls(pyproject: Path) -> dict[str, str] | None:
    """[project.urls] of the checkout advisor runs from; None when this is not that checkout's pyproject.toml."""
    import tomllib

    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(project, dict) or project.get("name") != DIST_NAME:
        return None
    urls = project.get("urls", {})
    return {str(k): str(v) for k, v in urls.items()} if isinstance(urls, dict) else {}


def _metadata_urls() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata(DIST_NAME).get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in entries:
        label, _, url = entry.partition(",")
        urls[label] = url
    return urls


def project_url(pyproject: Path | None = None) -> str | None:
    """The repository URL from `[project.urls]` (Repository, Source or Homepage), or None while it is unset."""
    urls = _checkout_urls(pyproject or _CHECKOUT_PYPROJECT)
    if urls is None:
        urls = _metadata_urls()
    return _pick(urls)
