# shellcheck shell=bash
# Shared by every script in scripts/: where the Python 3.14 environments live
# and how to run a command inside one. Sourced, never executed.
#
# Confidant is tested on two Home Assistant versions ("tracks"), each in its
# own virtual environment:
#   min     the oldest version hacs.json admits (requirements_test.txt)
#   latest  the current release (requirements_test_latest.txt)
# CONFIDANT_HA selects the track (default min); the scripts take a leading
# "--ha TRACK" argument and set it before sourcing this file.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIDANT_HA="${CONFIDANT_HA:-min}"
case "$CONFIDANT_HA" in
  min) _TRACK_SUFFIX="" ;;
  latest) _TRACK_SUFFIX="-latest" ;;
  *)
    printf 'unknown Home Assistant track "%s" (use min or latest)\n' "$CONFIDANT_HA" >&2
    exit 2
    ;;
esac
VENV="$REPO/.venv$_TRACK_SUFFIX"
# Used only when the host has no Python >= 3.14.2: a Debian "forky" root file
# system that provides it, with the tracks' virtual environments inside.
ROOTFS="$REPO/.rootfs"
ROOTFS_VENV="/opt/venv$_TRACK_SUFFIX"
TRACK_REQUIREMENTS="requirements_test$(echo "$_TRACK_SUFFIX" | tr - _).txt"
# The setup stamp records what was installed, so setup is a no-op when nothing
# it depends on has changed.
STAMP_INPUTS=("$TRACK_REQUIREMENTS" requirements_test_latest_plugin.txt requirements_model.txt scripts/setup scripts/lib.sh scripts/ha_requirements.py custom_components/confidant/manifest.json)

log() { printf '\033[1m[confidant]\033[0m %s\n' "$*" >&2; }

# Prints the path of a Python interpreter >= 3.14.2 on PATH, if there is one.
host_python314() {
  local candidate
  for candidate in python3.14 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# "venv" when a host interpreter is used, "rootfs" when the chroot is used.
env_mode() {
  if [ -x "$VENV/bin/python" ]; then
    echo venv
  elif [ -f "$ROOTFS$ROOTFS_VENV/pyvenv.cfg" ]; then
    echo rootfs
  elif host_python314 >/dev/null; then
    echo venv
  else
    echo rootfs
  fi
}

stamp_file() {
  if [ "$(env_mode)" = venv ]; then
    echo "$VENV/.confidant-setup"
  else
    echo "$ROOTFS$ROOTFS_VENV/.confidant-setup"
  fi
}

stamp_value() {
  (cd "$REPO" && cat "${STAMP_INPUTS[@]}" 2>/dev/null | sha256sum | cut -d' ' -f1)
}

env_is_ready() {
  local stamp
  stamp="$(stamp_file)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stamp_value)" ]
}

ensure_setup() {
  if ! env_is_ready; then
    CONFIDANT_HA="$CONFIDANT_HA" "$REPO/scripts/setup"
  fi
}

# Runs "$@" inside the environment, with the repository as working directory.
# In rootfs mode the repository is bind-mounted into the chroot for the
# duration of the command and unmounted afterwards, on success, failure or
# interruption alike.
in_env() {
  if [ "$(env_mode)" = venv ]; then
    (cd "$REPO" && PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" CONFIDANT_HA="$CONFIDANT_HA" "$@")
    return
  fi
  _in_rootfs "$@"
}

_CONFIDANT_MOUNTS=()

_unmount_all() {
  local i
  for ((i = ${#_CONFIDANT_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${_CONFIDANT_MOUNTS[$i]}" 2>/dev/null || umount -l "${_CONFIDANT_MOUNTS[$i]}" 2>/dev/null || true
  done
  _CONFIDANT_MOUNTS=()
  [ -n "${_CONFIDANT_MOUNT_DIR:-}" ] && rmdir "$_CONFIDANT_MOUNT_DIR" 2>/dev/null
  return 0
}

_in_rootfs() {
  # Each invocation gets its own mount point, so two commands (the dev
  # instance and the tests, say) can run at the same time.
  _CONFIDANT_MOUNT_DIR="$(mktemp -d "$ROOTFS/mnt/repo.XXXXXX")"
  local inside="/mnt/$(basename "$_CONFIDANT_MOUNT_DIR")"
  trap '_unmount_all' EXIT
  trap '_unmount_all; exit 130' INT
  trap '_unmount_all; exit 143' TERM HUP
  mount --bind "$REPO" "$_CONFIDANT_MOUNT_DIR"
  _CONFIDANT_MOUNTS+=("$_CONFIDANT_MOUNT_DIR")
  # /proc lets psutil and friends see the process table; mounted per
  # invocation and stacked, so concurrent invocations do not disturb each other.
  mount -t proc proc "$ROOTFS/proc"
  _CONFIDANT_MOUNTS+=("$ROOTFS/proc")
  local status=0
  chroot "$ROOTFS" /usr/bin/env -i \
    HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
    PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-}" COLUMNS="${COLUMNS:-}" \
    PATH="$ROOTFS_VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    VIRTUAL_ENV="$ROOTFS_VENV" CONFIDANT_REPO="$inside" CONFIDANT_HA="$CONFIDANT_HA" \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=true \
    /bin/sh -c 'cd "$CONFIDANT_REPO" && exec "$@"' sh "$@" || status=$?
  _unmount_all
  trap - EXIT INT TERM HUP
  return "$status"
}
