"""chalicelib.scanner: INSTREAM against a real clamd (tests/clamd.py), and every way clamd can fail
to answer becomes ScannerUnavailableError (503), never a file taken as clean."""

import io
import socket
import threading

import pytest

from chalicelib.scanner import ClamdScanner, ScannerUnavailableError, UnconfiguredScanner

from . import files

pytestmark = pytest.mark.slow


def test_clamd_finds_the_eicar_test_string_anywhere_in_a_file(clamd):
    scanner = ClamdScanner(clamd.socket)

    assert scanner.scan(io.BytesIO(files.pdf() + files.EICAR)) == "MotCua.Test.EICAR.UNOFFICIAL"


def test_clamd_passes_a_clean_file_sent_in_many_chunks(clamd):
    content = files.pdf() + bytes(range(256)) * 1000  # 256 kB: four INSTREAM chunks and more

    assert ClamdScanner(clamd.socket).scan(io.BytesIO(content)) is None


def test_clamd_over_tcp(tmp_path):
    from .clamd import Clamd

    daemon = Clamd(tmp_path, tcp=True).start()
    try:
        found = ClamdScanner(daemon.address).scan(io.BytesIO(files.EICAR))
    finally:
        daemon.stop()

    assert found == "MotCua.Test.EICAR.UNOFFICIAL"


def test_a_missing_socket_means_unavailable(tmp_path):
    with pytest.raises(ScannerUnavailableError):
        ClamdScanner(str(tmp_path / "khong-co.sock")).scan(io.BytesIO(b"x"))


def silent_server(path: str, answer: bytes | None) -> threading.Thread:
    """A unix socket that reads everything, then answers `answer` (None: never answers)."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, listener:
            connection.settimeout(5)
            data = b""
            while not data.endswith(b"\0\0\0\0"):
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
            if answer is None:
                connection.recv(1)  # until the client gives up and closes
            else:
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_a_clamd_that_does_not_answer_in_time_means_unavailable(tmp_path):
    path = str(tmp_path / "cham.sock")
    thread = silent_server(path, None)

    with pytest.raises(ScannerUnavailableError):
        ClamdScanner(path, timeout=0.5).scan(io.BytesIO(b"%PDF-1.4"))
    thread.join(5)


@pytest.mark.parametrize(
    "answer",
    [
        b"INSTREAM size limit exceeded. ERROR\0",
        b"stream: Can't allocate memory ERROR\0",
        b"\0",
        b"",
    ],
)
def test_any_answer_but_ok_or_found_means_unavailable(tmp_path, answer):
    path = str(tmp_path / "loi.sock")
    thread = silent_server(path, answer)

    with pytest.raises(ScannerUnavailableError):
        ClamdScanner(path, timeout=5).scan(io.BytesIO(b"%PDF-1.4"))
    thread.join(5)


def test_without_a_configured_clamd_every_scan_is_unavailable():
    with pytest.raises(ScannerUnavailableError, match="MOTCUA_CLAMD"):
        UnconfiguredScanner().scan(io.BytesIO(b"%PDF-1.4"))


@pytest.mark.parametrize("address", ["tcp://", "tcp://clamd", "tcp://:3310", "tcp://h:cong"])
def test_a_malformed_tcp_address_fails_at_startup(address):
    with pytest.raises(ValueError, match="tcp://host:port"):
        ClamdScanner(address)
