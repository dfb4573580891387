"""Officers of the server under test: made with the `motcua` admin command on the server's own
data folder (as an administrator would, README), and a small HTTP client of the officer API for
tests that need a dossier moved along without going through the back office pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from .conftest import ROOT


def create_officer(
    server, *, username: str, name: str, password: str, office: str, roles: list[str]
) -> None:
    env = {**os.environ, "MOTCUA_DATA_DIR": str(server.data_dir)}
    command = [sys.executable, "-m", "chalicelib.admin", "create-officer", username]
    command += ["--name", name, "--office", office, "--password-stdin"]
    for role in roles:
        command += ["--role", role]
    subprocess.run(
        command,
        input=password + "\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


class OfficerClient:
    """Logged in over HTTP with the session cookie and the CSRF header, as the pages are."""

    def __init__(self, server, username: str, password: str) -> None:
        self.server = server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        reply = self.call("POST", "login", {"username": username, "password": password})
        self.csrf = reply["csrf"]

    def call(self, method: str, path: str, body: Any = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "csrf", None):
            headers["X-CSRF-Token"] = self.csrf
        request = urllib.request.Request(
            f"{self.server.url}/api/office/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers=headers,
        )
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    def act(self, code: str, action: str, data: dict | None = None) -> dict:
        version = self.call("GET", f"dossiers/{code}")["version"]
        body = {"version": version, "data": data or {}}
        return self.call("POST", f"dossiers/{code}/actions/{action}", body)
