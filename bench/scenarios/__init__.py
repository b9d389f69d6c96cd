"""One module per app: `seed()`, optional `prepare()`, `SCENARIOS` (see bench/README.md)."""
