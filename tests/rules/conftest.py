"""Rule tests parse the YAML itself; the rule cache has its own tests (test_engine_rule_cache.py)."""

import os

os.environ.setdefault("ADVISOR_NO_CACHE", "1")
