"""One module per CLI command; `advisor.cli` only parses options and calls `run()` here."""
