"""Validation tools: a reference pre-fork server, an open-loop load generator and a real-nginx runner.

Everything here talks only to 127.0.0.1, ::1 or unix sockets, is bounded in time and count, and cleans up after
itself. Import the submodules directly (``refserver``, ``loadgen``, ``nginx_runner``); nothing is imported eagerly.
"""
