#!/usr/bin/env bash
# The README's run command: install, build the site and the API's catalogue bundle, then serve
# both on http://127.0.0.1:8000 (data kept under var/ across restarts), with a clamd that scans
# every upload.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
# The web font the build copies into site/; Debian's clamav-daemon if clamd is missing.
apt_packages=()
[ -n "${MOTCUA_CLAMD:-}" ] || command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] ||
  apt_packages+=(clamav-daemon)
scripts/npm-deps.sh "${apt_packages[@]}"
.venv/bin/python build.py bundle
# The statistics page (thong-ke/) from the anonymised events of the dossiers under the data
# folder, once there are any (docs/statistics.md); the export is public data, kept beside them.
build_args=()
data_dir=${MOTCUA_DATA_DIR:-var}
if [ -f "$data_dir/motcua.sqlite3" ] && [ "${MOTCUA_STORAGE:-embedded}" = embedded ]; then
  MOTCUA_DATA_DIR=$data_dir .venv/bin/motcua export-events "$data_dir/su-kien.jsonl"
  build_args=(--stats "$data_dir/su-kien.jsonl")
fi
.venv/bin/python build.py build "${build_args[@]}"

# Every upload is scanned before it is accepted (MOTCUA_CLAMD). Unless one is given, a clamd of
# our own runs beside the server and stops with it: with freshclam's database when the machine
# has one (/var/lib/clamav; loading it takes tens of seconds and over a gigabyte of memory),
# else with the EICAR test signature only (scripts/clamd.sh says so).
if [ -z "${MOTCUA_CLAMD:-}" ]; then
  clamd_dir=$(mktemp -d)
  scripts/clamd.sh "$clamd_dir" >/dev/null &  # its log: errors only (stderr)
  clamd_pid=$!
  stop_clamd() {
    kill "$clamd_pid" 2>/dev/null || true
    wait "$clamd_pid" 2>/dev/null || true
    rm -rf "$clamd_dir"
  }
  trap stop_clamd EXIT
  trap 'exit 130' INT  # Ctrl+C: stop the server, then clamd (the EXIT trap)
  trap 'exit 143' TERM
  export MOTCUA_CLAMD=$clamd_dir/clamd.sock
  echo "Chờ clamd ($MOTCUA_CLAMD) ..." >&2
  until [ -S "$MOTCUA_CLAMD" ]; do
    kill -0 "$clamd_pid" 2>/dev/null || { echo "clamd không chạy được" >&2; exit 1; }
    sleep 0.2
  done
fi
.venv/bin/python functions/serve.py "$@"
