#!/usr/bin/env python3
"""Regenerate the facts section of rules/README.md from the fact declarations (advisor/engine/fact_registry.py).

    python scripts/gen_fact_docs.py           # rewrite the section
    python scripts/gen_fact_docs.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "rules" / "README.md"
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the section is up to date")
    args = parser.parse_args(argv)
    from advisor.engine.fact_docs import replace_section

    current = README.read_text(encoding="utf-8")
    wanted = replace_section(current)
    if args.check:
        if current != wanted:
            sys.stderr.write("rules/README.md's facts section is out of date: run python scripts/gen_fact_docs.py\n")
            return 1
        return 0
    if current != wanted:
        README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
