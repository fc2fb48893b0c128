#!/usr/bin/env bash
# Runs a command with a private D-Bus session and an unlocked gnome-keyring
# (the Secret Service), as headless Linux CI needs for keychain tests:
#   scripts/with-keyring.sh cargo nextest run
# Re-executes itself under dbus-run-session when no session bus is set.
set -euo pipefail
if [ -z "${MODELDECK_IN_DBUS:-}" ]; then
  export MODELDECK_IN_DBUS=1
  exec dbus-run-session -- "$0" "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
fi
scratch=$(mktemp -d)
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'modeldeck-test' | gnome-keyring-daemon --unlock --components=secrets)"
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames 2>/dev/null \
    | grep -q org.freedesktop.secrets && break
  sleep 0.1
done
status=0
"$@" || status=$?
[ -n "${GNOME_KEYRING_PID:-}" ] && kill "$GNOME_KEYRING_PID" 2>/dev/null || true
rm -rf "$scratch"
exit $status
