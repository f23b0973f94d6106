#!/usr/bin/env bash
# Deploy and roll out specs/prod.yaml on a local AWS emulator: moto server on 127.0.0.1 (a free port), with
# the patches in scripts/moto_server.py. Dummy credentials; nothing leaves this machine. The server is stopped
# by its PID however this script ends. The steps and checks are in scripts/run_local.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

work=$(mktemp -d)
port=$("$BIN/python" -c 'import sys; sys.path.insert(0, "scripts"); import moto_server; print(moto_server.free_port())')
"$BIN/python" scripts/moto_server.py --port "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
stop() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM
echo "run-local: moto server pid $moto_pid on 127.0.0.1:$port (log: $work/moto.log, removed at exit)"

# Only the emulator: dummy credentials, no profile or config from this machine.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_REGION
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://localhost:$port"  # localhost: moto reads S3 template URLs only on that name
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
export AWS_EC2_METADATA_DISABLED=true NO_COLOR=${NO_COLOR:-}

"$BIN/python" scripts/run_local.py || { status=$?; echo "run-local: moto server log:"; tail -n 40 "$work/moto.log"; exit $status; }
