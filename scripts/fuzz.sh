#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 10m), one after another, and
# copies what each found (its generated corpus) into the package's
# testdata/fuzz so it becomes part of the seed corpus of "go test".
# A crasher stops the script: go test has already written it to
# testdata/fuzz/<Target>/, where it stays as a regression test.
#   FUZZTIME=30s ./scripts/fuzz.sh            all targets
#   FUZZTIME=10m ./scripts/fuzz.sh dissect    the targets of one package
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10m}
only=${1:-}
cache=$(go env GOCACHE)/fuzz/$(go list -m)

# Every Fuzz function of the module's test files, found rather than listed
# (a list went stale: two targets were missing from it).
mapfile -t targets < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . |
	sed -E 's#^\./(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)$#\1 \2#' | sort -u)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	if [ -n "$only" ] && [ "$only" != "$pkg" ]; then
		continue
	fi
	echo "== $pkg $name for $fuzztime"
	go test "./$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1 | tail -n 3
	mkdir -p "$pkg/testdata/fuzz/$name"
	if [ -d "$cache/$pkg/$name" ]; then
		cp -n "$cache/$pkg/$name"/* "$pkg/testdata/fuzz/$name/" 2>/dev/null || true
	fi
done
