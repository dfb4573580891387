# The two commands of the README. Each installs what it needs (scripts/venv.sh).
.PHONY: run test check
run:
	scripts/run.sh
test:
	scripts/test.sh
check:
	scripts/venv.sh && .venv/bin/python build.py check
