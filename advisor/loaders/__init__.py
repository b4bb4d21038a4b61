"""Loaders: read nginx and gunicorn configuration into the deployment model."""
