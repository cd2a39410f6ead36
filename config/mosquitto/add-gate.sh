#!/bin/sh
# Adds (or re-keys) one gate's broker account: add-gate.sh SITE GATE [PASSWORD_FILE]
# The account is "SITE/GATE", which the ACL's %u patterns turn into the gate's own topics (gate06.acl).
# The password is generated here and printed once: put it in the gate's secret store (mqtt.password as
# {file: ...} or {env: ...}), never in its YAML. Then reload the broker: systemctl reload mosquitto.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 SITE GATE [PASSWORD_FILE]" >&2; exit 2; }
site=$1 gate=$2 file=${3:-/etc/mosquitto/gate06.passwd}
# The same id rule as the topic map: a '/', '+' or '#' in an id would widen the gate's ACL.
for id in "$site" "$gate"; do
  printf '%s' "$id" | grep -Eq '^[A-Za-z0-9_-]{1,40}$' || { echo "bad id: $id (letters, digits, _ and - only)" >&2; exit 2; }
done
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)
[ -f "$file" ] || { touch "$file"; chmod 600 "$file"; }
mosquitto_passwd -b "$file" "$site/$gate" "$password"
echo "$password"
