# shellcheck shell=bash
# Sourced by the e2e scripts: the contrib files as CMake configures them
# (contrib/*.in with the installed binary's path, cmake/install.cmake).
#
#   configured_contrib RELPATH DEST BINARY
#
# copies the configured RELPATH (e.g. systemd/unitrun@.service) to DEST, from
# $UNITRUN_CONTRIB_DIR (ctest sets it to the build tree's contrib/), else from
# contrib/ beside BINARY (build/unitrun, build/contrib/), else configures the
# source file with the default prefix's path, /usr/local/bin/unitrun.
configured_contrib() {
    local rel=$1 dest=$2 binary=$3 dir
    for dir in "${UNITRUN_CONTRIB_DIR:-}" "$(dirname "$binary")/contrib"; do
        if [ -n "$dir" ] && [ -f "$dir/$rel" ]; then
            cp "$dir/$rel" "$dest"
            return
        fi
    done
    sed 's|@UNITRUN_INSTALLED_BINARY@|/usr/local/bin/unitrun|g' \
        "$(dirname "${BASH_SOURCE[0]}")/../../contrib/$rel.in" >"$dest"
}
