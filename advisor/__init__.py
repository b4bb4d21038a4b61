"""advisor: lint nginx + gunicorn deployments across both files."""

__version__ = "0.1.0"
