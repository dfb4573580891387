# The two commands of the README. Each installs what it needs (scripts/venv.sh).
.PHONY: run test test-fast check
run:
	scripts/run.sh
test:
	scripts/test.sh
# The unit tier: no server, no subprocess, no node, no browser (markers in pyproject.toml), serial
# (on two cores, starting xdist workers costs more than it saves here).
test-fast:
	scripts/venv.sh && .venv/bin/python -m pytest -p no:cacheprovider -q -m "not slow and not node and not browser"
check:
	scripts/venv.sh && .venv/bin/python build.py check
