"""The build's own errors, one base: what the editor or the operator can fix, with a message
in Vietnamese that says what. build.py prints them; anything else is a bug and keeps its
traceback."""


class BuildError(Exception):
    """A step of the build cannot go on; the message says why."""


class CatalogueError(BuildError):
    """The catalogue has errors (every one is in the message): nothing is written."""


class MkdocsError(BuildError):
    """mkdocs could not build the page frame (strict mode: a warning is an error)."""


class RenderError(BuildError):
    """A page could not be rendered or links to a page that does not exist."""


class GitError(BuildError):
    """A git command `build.py diff` needs failed (unknown revision, not a repository...)."""


class RefusedError(BuildError):
    """`build.py import`: a national portal record that cannot become a draft (the reason)."""
