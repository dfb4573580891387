"""`motcua create-admin`, `create-officer`, `disable`, `offices`: the first admin and officers,
created in a real var/officers.sqlite3."""

import io
import json
from pathlib import Path

import pytest

from chalicelib.admin.cli import main
from chalicelib.config import Settings
from chalicelib.errors import LoginFailedError, NotAuthenticatedError, NotConfiguredError
from chalicelib.wiring import build_officer_auth

PASSWORD = "mat-khau-du-dai-1"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    bundle = tmp_path / "bundle.json"
    register = [{"id": "ttphcc-le-chan"}, {"id": "ca-le-chan"}]
    bundle.write_text(json.dumps({"offices": register}), encoding="utf-8")
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MOTCUA_BUNDLE", str(bundle))
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "manage-tests-secret-key")
    return tmp_path / "var"


def typed(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def login(username: str, password: str = PASSWORD):
    auth = build_officer_auth(Settings.from_env())
    try:
        return auth.login(username, password, "127.0.0.1")[0]
    finally:
        auth.accounts.close()


def test_creates_the_first_admin_with_the_password_from_stdin(data_dir, monkeypatch, capsys):
    typed(monkeypatch, PASSWORD + "\n")

    code = main(["create-admin", "quan.tri", "--name", "Quản trị viên", "--password-stdin"])

    assert code == 0
    assert "Đã tạo tài khoản quan.tri" in capsys.readouterr().out
    assert (data_dir / "officers.sqlite3").is_file()
    admin = login("quan.tri")
    assert admin.roles == {"quan_tri"} and admin.offices == frozenset()


def test_creates_an_officer_with_roles_and_offices(data_dir, monkeypatch):
    typed(monkeypatch, PASSWORD + "\n")
    argv = ["create-officer", "lan.nguyen", "--name", "Nguyễn Thị Lan", "--password-stdin"]
    argv += ["--role", "mot_cua", "--role", "chuyen_vien", "--office", "ca-le-chan"]

    assert main(argv) == 0

    officer = login("lan.nguyen")
    assert officer.roles == {"mot_cua", "chuyen_vien"}
    assert officer.offices == {"ca-le-chan"}


def test_asks_for_the_password_twice_at_the_prompt(data_dir, monkeypatch):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or PASSWORD)

    assert main(["create-admin", "quan.tri", "--name", "Quản trị viên"]) == 0

    assert len(prompts) == 2
    assert login("quan.tri").username == "quan.tri"


def test_refuses_two_different_passwords_at_the_prompt(data_dir, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt: next(answers))

    assert main(["create-admin", "quan.tri", "--name", "Quản trị viên"]) == 1

    assert "không giống nhau" in capsys.readouterr().err


def test_the_password_is_never_an_argument():
    with pytest.raises(SystemExit):
        main(["create-admin", "quan.tri", "--name", "Quản trị viên", "--password", PASSWORD])


def test_says_what_is_wrong_with_a_short_password(data_dir, monkeypatch, capsys):
    typed(monkeypatch, "ngan\n")

    assert main(["create-admin", "quan.tri", "--name", "Quản trị viên", "--password-stdin"]) == 1

    assert "mật khẩu: Mật khẩu cần ít nhất 12 ký tự." in capsys.readouterr().err


def test_refuses_an_office_not_in_the_register(data_dir, monkeypatch, capsys):
    typed(monkeypatch, PASSWORD + "\n")
    argv = ["create-officer", "lan.nguyen", "--name", "Nguyễn Thị Lan", "--password-stdin"]

    assert main([*argv, "--role", "mot_cua", "--office", "ttphcc-khong-co"]) == 1

    assert "ttphcc-khong-co" in capsys.readouterr().err
    with pytest.raises(LoginFailedError):
        login("lan.nguyen")


def test_an_officer_needs_a_role_and_an_office():
    with pytest.raises(SystemExit):
        main(["create-officer", "lan.nguyen", "--name", "Lan", "--office", "ca-le-chan"])
    with pytest.raises(SystemExit):
        main(["create-officer", "lan.nguyen", "--name", "Lan", "--role", "mot_cua"])


def test_disabling_ends_the_sessions_and_the_logins(data_dir, monkeypatch, capsys):
    typed(monkeypatch, PASSWORD + "\n")
    main(["create-admin", "quan.tri", "--name", "Quản trị viên", "--password-stdin"])
    auth = build_officer_auth(Settings.from_env())
    _officer, token, _csrf = auth.login("quan.tri", PASSWORD, "127.0.0.1")

    assert main(["disable", "quan.tri"]) == 0

    with pytest.raises(NotAuthenticatedError):
        auth.current(token)
    auth.accounts.close()
    with pytest.raises(LoginFailedError):
        login("quan.tri")


def test_disabling_an_unknown_account_fails(data_dir, capsys):
    assert main(["disable", "khong.co.ai"]) == 1

    assert "Không có tài khoản này." in capsys.readouterr().err


def test_officers_sign_in_on_aws_is_a_clear_not_configured_error():
    """No accounts table on AWS: the officer routes answer 501 not_configured, never a 500."""
    with pytest.raises(NotConfiguredError) as raised:
        build_officer_auth(Settings(storage="aws", secret_key=b"k"))
    assert (raised.value.status, raised.value.body()["code"]) == (501, "not_configured")


def test_lists_the_office_ids_matching_a_name_with_or_without_marks(data_dir, capsys):
    bundle = data_dir.parent / "bundle.json"
    register = {
        "cong-an-phuong-le-chan": {
            "id": "cong-an-phuong-le-chan",
            "identifier": "11383.CA",
            "name": "Công an Phường Lê Chân",
        },
        "trung-tam-pvhcc-xa-vinh-bao": {
            "id": "trung-tam-pvhcc-xa-vinh-bao",
            "identifier": "11824.HCC",
            "name": "Trung tâm Phục vụ hành chính công xã Vĩnh Bảo",
        },
    }
    bundle.write_text(json.dumps({"offices": register}), encoding="utf-8")

    assert main(["offices", "le chan"]) == 0
    assert capsys.readouterr().out == "cong-an-phuong-le-chan\t11383.CA\tCông an Phường Lê Chân\n"
    assert main(["offices", "Hải Dương"]) == 1
    assert "Không có cơ quan nào khớp" in capsys.readouterr().err
