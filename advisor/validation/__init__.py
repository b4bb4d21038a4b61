"""Validation tools: a reference pre-fork server, an open-loop load generator, real nginx and gunicorn runners, and
the ``advisor validate`` driver that compares a measured run with the queueing model.

Everything here talks only to 127.0.0.1, ::1 or unix sockets, is bounded in time and count, and cleans up after
itself. Import the submodules directly; nothing is imported eagerly:

* ``refserver`` (+ ``refserver_arbiter``, ``refserver_worker``, ``scoreboard``): the reference server;
* ``gunicorn_runner``: real gunicorn (the link's worker class) with a synthetic WSGI or ASGI app;
* ``nginx_runner``, ``nginx_errorlog``, ``nginx_accesslog``: real nginx with a generated config, and its logs;
* ``loadgen``, ``loadresult``, ``service_spec``: the load generator and the service-time spec strings;
* ``plan`` (what runs, time scaling, limits), ``session`` (run it), ``measure``, ``compare`` (band verdicts),
  ``report``, ``progress``: the ``advisor validate`` pipeline.
"""
