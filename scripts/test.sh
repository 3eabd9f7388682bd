#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, then every test
# (unit, golden, fuzz seed corpora, end-to-end against the built binary,
# and the real captures in ../shared when that folder is there).
set -euo pipefail
cd "$(dirname "$0")/.."

staticcheck_version=v0.8.2

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck $staticcheck_version"
go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./...

echo "== go test"
go test -count=1 ./...
