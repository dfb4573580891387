"""PostgreSQL's client programs (pg_dump, pg_restore), found as the tests find initdb: Debian's
/usr/lib/postgresql/<version>/bin, newest version first, then PATH. Not PATH first: Debian's
/usr/bin links go through a wrapper that picks a version by its own rules. pg_dump must be at
least as new as the server, so the newest installed is the right one."""

import glob
import os
import re
import shutil
import subprocess

from chalicelib.admin.errors import AdminError


def binary(name: str) -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for bindir in candidates:
        path = os.path.join(bindir, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if found is None:
        raise AdminError(
            f"Không tìm thấy {name} (gói Debian postgresql-client hoặc postgresql):"
            " `apt-get install postgresql-client`."
        )
    return found


def run(command: list[str], password: str | None = None) -> None:
    """Runs a client program (the password in its environment, never on its command line,
    which `ps` shows); its own error message becomes the command's."""
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        name = os.path.basename(command[0])
        raise AdminError(f"{name} thất bại (mã {result.returncode}):\n{result.stderr.strip()}")


def _version(bindir: str) -> int:
    match = re.search(r"/(\d+)/bin$", bindir)
    return int(match.group(1)) if match else 0
