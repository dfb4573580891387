"""`motcua rotate-data-key`: a new data key seals everything again (embedded target; stop the
server first: its processes hold the key ring they started with).

The key file gets a new first line (chalicelib/sealing.py: the first key seals); every dossier
row, event, rating comment and uploaded file is opened with the ring and sealed again under the
new key, then the database's check value. The old keys stay in the file: backups made before the
rotation are sealed under them. Once those backups are gone, their lines can be deleted from the
file.
"""

from dataclasses import dataclass

from chalicelib import sealing
from chalicelib.admin.errors import NotSupportedError
from chalicelib.config import Settings
from chalicelib.storage.files import FilesystemUploads
from chalicelib.storage.ratings_sqlite import SqliteRatings
from chalicelib.storage.sqlite import SqliteDossiers


@dataclass
class Rotated:
    key_id: str
    old_ids: list[str]
    dossiers: int
    files: int


def rotate(settings: Settings) -> Rotated:
    if settings.storage != "embedded":
        raise NotSupportedError(
            "Chỉ cách nhúng mã hóa dữ liệu bằng khóa của MotCua; PostgreSQL, kho S3 và AWS được"
            " mã hóa bởi đĩa và kho (docs/deploy.md, Dữ liệu cá nhân khi lưu trữ)."
        )
    path = settings.data_key_file or sealing.default_key_file()
    old = sealing.load(path, create=False)
    from chalicelib.storage.sqlite import check_data_key

    check_data_key(settings.data_dir / "motcua.sqlite3", old)  # the right file, before writing
    key_id = sealing.add_key(path)
    sealer = sealing.load(path, create=False)
    dossiers = SqliteDossiers(settings.data_dir / "motcua.sqlite3", sealer=sealer)
    try:
        count = dossiers.reseal()
    finally:
        dossiers.close()
    if (settings.data_dir / "ratings.sqlite3").exists():
        ratings = SqliteRatings(settings.data_dir / "ratings.sqlite3", sealer=sealer)
        try:
            ratings.reseal()
        finally:
            ratings.close()
    uploads = FilesystemUploads(
        settings.data_dir / "uploads",
        secret=settings.secret_key,
        base_url=settings.public_url,
        sealer=sealer,
    )
    return Rotated(key_id, old.key_ids, count, uploads.reseal())
