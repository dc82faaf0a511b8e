#!/usr/bin/env bash
# Prepares the local RabbitMQ for the SDK's RabbitMQ tests (packages/sdk/test/rabbitmq.test.ts):
#   - enables rabbitmq_auth_backend_oauth2,
#   - keeps the internal backend first so guest/guest keeps working for every other test,
#   - generates a test-only RSA signing key (once) and pins its public half in RabbitMQ's config,
#   - restarts RabbitMQ only when something changed, then waits until it answers.
# Idempotent; run as root on a machine where the distribution's RabbitMQ is installed.
#
# The private key is a test fixture: RabbitMQ trusts it for resource server "warden-test" only, on a broker that
# listens on 127.0.0.1. Never point this script at a broker that serves anything real.
set -euo pipefail

KEY_DIR="${WARDEN_TEST_RABBITMQ_OAUTH_DIR:-/var/lib/warden-test/rabbitmq-oauth}"
CONF_FILE="${RABBITMQ_CONFIG_FILE_PATH:-/etc/rabbitmq/rabbitmq.conf}"
RESOURCE_SERVER_ID="warden-test"
KEY_ID="warden-test-signing-key"
BEGIN_MARK="# BEGIN warden-test oauth2 (scripts/ci/rabbitmq-oauth.sh)"
END_MARK="# END warden-test oauth2"

log() { printf 'rabbitmq-oauth: %s\n' "$*" >&2; }

if [[ "$(id -u)" != "0" ]]; then
  log "must run as root (it edits ${CONF_FILE} and restarts RabbitMQ)"
  exit 2
fi
command -v rabbitmqctl >/dev/null || { log "rabbitmqctl not found; install rabbitmq-server first"; exit 2; }
command -v openssl >/dev/null || { log "openssl not found"; exit 2; }

changed=0

# 1. The signing key. Generated once; the tests read the private key from here to sign tokens.
mkdir -p "${KEY_DIR}"
chmod 0755 "${KEY_DIR}"
if [[ ! -s "${KEY_DIR}/signing-key.pem" ]]; then
  log "generating test signing key in ${KEY_DIR}"
  umask 077
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${KEY_DIR}/signing-key.pem" 2>/dev/null
  umask 022
  rm -f "${KEY_DIR}/signing-key.pub.pem"
  changed=1
fi
chmod 0600 "${KEY_DIR}/signing-key.pem"
if [[ ! -s "${KEY_DIR}/signing-key.pub.pem" ]]; then
  openssl pkey -in "${KEY_DIR}/signing-key.pem" -pubout -out "${KEY_DIR}/signing-key.pub.pem"
  changed=1
fi
# RabbitMQ runs as its own user and only needs the public half.
chmod 0644 "${KEY_DIR}/signing-key.pub.pem"
cat >"${KEY_DIR}/settings.json.tmp" <<JSON
{
  "resource_server_id": "${RESOURCE_SERVER_ID}",
  "key_id": "${KEY_ID}",
  "private_key_file": "${KEY_DIR}/signing-key.pem",
  "public_key_file": "${KEY_DIR}/signing-key.pub.pem",
  "amqp_url": "amqp://127.0.0.1:5672"
}
JSON
mv "${KEY_DIR}/settings.json.tmp" "${KEY_DIR}/settings.json"

# 2. The plugin. `rabbitmq-plugins enable` works offline too and is a no-op when already enabled.
if ! rabbitmq-plugins list --enabled --minimal 2>/dev/null | grep -qx 'rabbitmq_auth_backend_oauth2'; then
  log "enabling rabbitmq_auth_backend_oauth2"
  rabbitmq-plugins enable --offline rabbitmq_auth_backend_oauth2 >/dev/null
  changed=1
fi

# 3. The config block, replaced wholesale between markers so reruns converge on the same file.
mkdir -p "$(dirname "${CONF_FILE}")"
touch "${CONF_FILE}"
block="${BEGIN_MARK}
# internal first: guest/guest and other internal users keep working; unknown users fall through to OAuth 2.0.
auth_backends.1 = internal
auth_backends.2 = rabbit_auth_backend_oauth2
auth_oauth2.resource_server_id = ${RESOURCE_SERVER_ID}
auth_oauth2.default_key = ${KEY_ID}
auth_oauth2.signing_keys.${KEY_ID} = ${KEY_DIR}/signing-key.pub.pem
auth_oauth2.algorithms.1 = RS256
${END_MARK}"
current_block="$(sed -n "/^${BEGIN_MARK//\//\\/}\$/,/^${END_MARK}\$/p" "${CONF_FILE}")"
if [[ "${current_block}" != "${block}" ]]; then
  log "writing OAuth 2.0 settings to ${CONF_FILE}"
  # Drop any earlier copy of the block, and any auth_backends line outside it that would fight with ours.
  tmp="$(mktemp)"
  awk -v begin="${BEGIN_MARK}" -v end="${END_MARK}" '
    $0 == begin { skip = 1; next }
    $0 == end { skip = 0; next }
    skip { next }
    /^[[:space:]]*auth_backends\./ { next }
    { print }
  ' "${CONF_FILE}" >"${tmp}"
  printf '%s\n' "${block}" >>"${tmp}"
  cat "${tmp}" >"${CONF_FILE}"
  rm -f "${tmp}"
  changed=1
fi

# 4. Restart only when needed (a running node does not re-read rabbitmq.conf), then wait until it answers.
is_running() { rabbitmqctl -q status >/dev/null 2>&1; }
oauth_active() {
  rabbitmqctl -q eval 'application:get_env(rabbit, auth_backends).' 2>/dev/null | grep -q oauth2
}

node_pid() { pgrep -u rabbitmq -f 'beam.*-s rabbit boot' | head -n1 || true; }

restart_rabbitmq() {
  if [[ -d /run/systemd/system ]] && systemctl cat rabbitmq-server.service >/dev/null 2>&1; then
    systemctl restart rabbitmq-server
    return
  fi
  # Without systemd the init script's `stop` waits on a pid file that exists only if the init script started
  # the node, so stop the node directly and wait for its process to go.
  local pid
  pid="$(node_pid)"
  if [[ -n "${pid}" ]]; then
    timeout 60 rabbitmqctl -q stop >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      kill -0 "${pid}" 2>/dev/null || break
      sleep 1
    done
  fi
  if [[ -x /etc/init.d/rabbitmq-server ]]; then
    timeout 120 service rabbitmq-server start >/dev/null 2>&1 || true
  fi
  if [[ -z "$(node_pid)" ]]; then
    su -s /bin/sh rabbitmq -c 'rabbitmq-server -detached' >/dev/null 2>&1 || rabbitmq-server -detached
  fi
}

if [[ "${changed}" == "1" ]] || ! is_running || ! oauth_active; then
  log "restarting RabbitMQ"
  restart_rabbitmq
fi

for _ in $(seq 1 90); do
  if rabbitmqctl -q await_startup --timeout 2 >/dev/null 2>&1 && oauth_active; then
    # The AMQP listener can lag the application by a moment.
    if (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
      log "ready: RabbitMQ accepts guest and tokens signed by ${KEY_DIR}/signing-key.pem (kid ${KEY_ID}, aud ${RESOURCE_SERVER_ID})"
      exit 0
    fi
  fi
  sleep 1
done
log "RabbitMQ did not come up with the OAuth 2.0 backend within 90 s"
rabbitmqctl status >&2 || true
exit 1
