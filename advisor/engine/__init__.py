"""The YAML rule engine: load rules (`rules.py`), index facts once per run (`facts.py`), evaluate `when`
expressions with simpleeval (`expressions.py`), and turn matches and loader diagnostics into findings (`run.py`).

Import the submodules directly; this package imports nothing so `advisor --help` stays fast.
"""
