#!/bin/sh
# Starts clamd in the background on /tmp/clamd.sock (clamd.conf) and runs the Lambda runtime
# interface client with the handler CMD names. The handler waits until clamd has loaded its
# database (chalicelib/scanstep.py): a cold start takes longer than Lambda's 10 s for init.
# With MOTCUA_CLAMD set (a clamd the province runs, tcp://host:3310), none is started here.
set -eu
if [ -z "${MOTCUA_CLAMD:-}" ]; then
  clamd --config-file=/etc/clamav/clamd-lambda.conf &
  MOTCUA_CLAMD=/tmp/clamd.sock
  export MOTCUA_CLAMD
fi
exec python3 -m awslambdaric "$@"
