#!/bin/sh
# The Debian changelog's newest version is the project's, CMake's
# project(VERSION), plus a Debian revision:
#   tests/package/changelog-version-test.sh CHANGELOG PROJECT_VERSION
set -eu
version=$(sed -n '1s/^unitrun (\([^)]*\)).*/\1/p' "$1")
if [ "${version%-*}" = "$2" ] && [ "$version" != "${version%-*}" ]; then
    echo "PASS $1: $version for project version $2"
else
    echo "FAIL $1: its newest entry is '$version', the project's version is $2 (expected $2-REVISION)"
    exit 1
fi
