"""The editors' tools: `build.py check`, `build.py diff` (a Markdown report between two git
revisions) and `build.py new` (a new procedure or version from the latest one)."""
