"""The build's own errors: one base, so build.py can tell them from bugs (which keep their
traceback)."""


class BuildError(Exception):
    """Something the editor or the operator can fix; the message says what, in Vietnamese."""
