def main():  # placeholder until the CLI lands
    raise SystemExit(0)
