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

targets=(
	"capture FuzzReader"
	"reassembly FuzzAssembler"
	"dissect FuzzFramer"
	"dissect FuzzSyncLines"
	"dissect FuzzMSGPayload"
	"dissect FuzzP2P"
	"dissect FuzzLine"
	"dissect FuzzMIMEFastPath"
	"dissect FuzzContentType"
	"dissect FuzzQuoteClip"
	"report FuzzAppendJSONString"
	"report FuzzASCIITable"
)
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
