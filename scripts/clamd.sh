#!/usr/bin/env bash
# Starts clamd in the foreground on a unix socket in DIR (default var/clamav): DIR/clamd.sock is
# what MOTCUA_CLAMD names. Its signatures: CLAMD_DATABASE if set, else Debian's freshclam
# database in /var/lib/clamav when it has one, else our own test signature
# (scripts/clamav/motcua-test.ndb: only the EICAR test file), with a warning, because then clamd
# recognises no real malware. CLAMD_TCP_PORT: listen on 127.0.0.1:<port> instead of the socket.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(realpath -m "${1:-var/clamav}")
clamd=$(command -v clamd || echo /usr/sbin/clamd)
if [ ! -x "$clamd" ]; then
  echo "Thiếu clamd: cài gói Debian clamav-daemon (scripts/run.sh và scripts/test.sh tự cài)." >&2
  exit 1
fi
database=${CLAMD_DATABASE:-}
if [ -z "$database" ]; then
  if compgen -G '/var/lib/clamav/*.c[lv]d' >/dev/null; then
    database=/var/lib/clamav
  else
    database=$PWD/scripts/clamav
    echo "CẢNH BÁO: chưa có cơ sở dữ liệu ClamAV (/var/lib/clamav, chạy freshclam);" \
      "clamd chỉ nhận ra tệp thử EICAR." >&2
  fi
fi
mkdir -p "$dir"
if [ -n "${CLAMD_TCP_PORT:-}" ]; then  # tcp://127.0.0.1:$CLAMD_TCP_PORT instead of the socket
  listen="TCPSocket $CLAMD_TCP_PORT
TCPAddr 127.0.0.1"
else
  listen="LocalSocket $dir/clamd.sock"
fi
cat >"$dir/clamd.conf" <<CONF
$listen
Foreground yes
DatabaseDirectory $database
TemporaryDirectory $dir
LogFile $dir/clamd.log
StreamMaxLength 30M
CONF
exec "$clamd" --config-file="$dir/clamd.conf"
