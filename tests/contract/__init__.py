"""Contract tests: one suite that every storage adapter must pass (see storage/ports.py)."""
