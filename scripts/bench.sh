#!/usr/bin/env bash
# The whole-process benchmark: builds msnsniff, the floor
# (internal/workload/floor) and the workload generator
# (internal/workload/gen), generates captures of the sizes asked for, and
# times on each of them, with /usr/bin/time -v after warming the page cache:
#   (a) floor                          pcapgo reading every packet, nothing decoded
#   (b) msnsniff read --format json    the full pipeline, every event
#   (c) msnsniff contacts              the full pipeline, one small report
#   (d) tshark -Y msnms                when tshark is on PATH, on some sizes:
#       summary lines (d) and, like for like with (b), JSON output (d')
# then prints a Markdown table (to stdout; progress goes to stderr), the
# ratios b/a, c/a and b/d per file, and how throughput changes between the
# smallest file and each larger one (the target: within 15%), with what a
# short run pays that a long one does not (process start, fresh memory).
#   ./scripts/bench.sh                         10M and 1G, seed 1
#   BENCH_SIZES="10M 100M 1G" BENCH_RUNS=3 ./scripts/bench.sh > bench.md
#   ./scripts/bench.sh --install-tshark        apt-get install tshark first
set -euo pipefail
export LC_ALL=C # decimal points in EPOCHREALTIME, awk and printf

usage() {
	cat <<'EOF'
Usage: scripts/bench.sh [--install-tshark] [-h|--help]

Whole-process benchmark of msnsniff against a floor (pcapgo reading the
packets, decoding nothing) and, when it is installed, tshark. The report
(Markdown) goes to stdout, progress and tool output to stderr.

Options:
  --install-tshark   install tshark from Debian first (apt-get update, then
                     DEBIAN_FRONTEND=noninteractive apt-get install -y tshark;
                     needs root or sudo), then run the benchmark
  -h, --help         this text

Environment:
  BENCH_DIR          work directory for the binaries, the captures and the
                     timing files (default /tmp/msnsniff-bench). A capture of
                     the same size, seed and impairment already there is
                     reused (generation is deterministic); delete it to
                     regenerate, e.g. after changing the generator.
  BENCH_SIZES        capture sizes, separated by spaces, each a number with
                     an optional suffix K, M or G (binary multiples), as the
                     generator takes them (default "10M 1G")
  BENCH_SEED         generator seed (default 1)
  BENCH_IMPAIR       1: generate with -reorder 0.01 -dup 0.005 -loss 0.0005
                     (default 0: a clean capture)
  BENCH_RUNS         times each measurement is repeated; the report keeps
                     the best (least) wall time and the largest peak RSS
                     (default 1)
  BENCH_SMALL_RUNS   the least number of runs on a capture under 100 MiB,
                     whose runs are short enough for noise to dominate
                     (default 10)
  BENCH_CONCURRENCY  concurrent logins of the server-side captures, separated
                     by spaces (default "200 2000 20000 100000"; empty: no
                     concurrency table). Each is a capture of the shape
                     taken at a busy server (gen -hold): every login open
                     from near the start to the end, each with its whole
                     contact list; all of BENCH_CONC_SIZE, so throughput is
                     compared at one size. A login storm of the first
                     concurrency (gen -visit 1s: each login signs out a
                     second after its list, replaced at once) is the
                     baseline of like content.
  BENCH_CONC_SIZE    size of those captures (default 4G: 100,000 logins of
                     300 contacts need about 3.5 GB to have all signed in)
  BENCH_CONC_CONTACTS contacts per list, N or MIN-MAX (default 300)
  BENCH_TSHARK_SIZES sizes (from BENCH_SIZES) to run tshark on, or "all".
                     Default: the smallest size of at least 100M, or else the
                     smallest size. tshark runs twice, only if it is on PATH:
                       tshark -n -r FILE -d tcp.port==1863,msnms -Y msnms
                       (the same) -T json
                     On the generated workload the first manages about
                     30 MB/s and the second about 4 MB/s, so a 1G capture
                     takes five minutes or more.

The table gives, per capture and tool: wall seconds, MB/s (MB = 10^6 bytes
of the capture file), thousands of packets per second, the throughput ratio to the
floor and (for read --format json) to tshark on the same file, peak RSS in
MiB and CPU seconds (user+sys). Ratios are of throughput: higher is better.
EOF
}

die() {
	echo "bench.sh: $*" >&2
	exit 1
}
note() { echo "bench.sh: $*" >&2; }

install_tshark=0
for arg in "$@"; do
	case $arg in
	-h | --help)
		usage
		exit 0
		;;
	--install-tshark) install_tshark=1 ;;
	*)
		echo "bench.sh: unknown argument: $arg" >&2
		usage >&2
		exit 2
		;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

work=${BENCH_DIR:-/tmp/msnsniff-bench}
read -r -a sizes <<<"${BENCH_SIZES:-10M 1G}"
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-1}
small_runs=${BENCH_SMALL_RUNS:-10}
impair=${BENCH_IMPAIR:-0}
tshark_sizes_env=${BENCH_TSHARK_SIZES:-}
read -r -a concurrency <<<"${BENCH_CONCURRENCY-200 2000 20000 100000}"
conc_size=${BENCH_CONC_SIZE:-4G}
conc_contacts=${BENCH_CONC_CONTACTS:-300}

[ ${#sizes[@]} -gt 0 ] || die "BENCH_SIZES is empty"
[[ $seed =~ ^[0-9]+$ ]] || die "BENCH_SEED must be a non-negative integer, not '$seed'"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$runs'"
[[ $impair == 0 || $impair == 1 ]] || die "BENCH_IMPAIR must be 0 or 1, not '$impair'"
for n in "${concurrency[@]}"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONCURRENCY must be positive integers, not '$n'"
done
[[ $conc_contacts =~ ^[1-9][0-9]*(-[1-9][0-9]*)?$ ]] || die "BENCH_CONC_CONTACTS must be N or MIN-MAX, not '$conc_contacts'"

# size_bytes SIZE: the byte count of a size token such as 10M, read as the
# generator reads it (binary multiples), for ordering the sizes and choosing
# tshark's; the generator decides the exact size of the file.
size_bytes() {
	local s=$1 n mult=1
	[[ $s =~ ^([0-9]+)([KMG]?)$ ]] || die "bad size '$s' in BENCH_SIZES (want a positive number with an optional K, M or G)"
	n=${BASH_REMATCH[1]}
	case ${BASH_REMATCH[2]} in
	K) mult=$((1 << 10)) ;;
	M) mult=$((1 << 20)) ;;
	G) mult=$((1 << 30)) ;;
	esac
	echo $((10#$n * mult))
}

# Sizes in increasing order, duplicates dropped.
declare -A size_n=()
for s in "${sizes[@]}"; do
	size_n[$s]=$(size_bytes "$s")
done
mapfile -t sizes < <(for s in "${!size_n[@]}"; do echo "${size_n[$s]} $s"; done | sort -n -k1,1 | awk '{print $2}')
[ "${size_n[${sizes[0]}]}" -gt 0 ] || die "size ${sizes[0]} is zero"

# --- tools -------------------------------------------------------------------

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		return 1
	fi
}

apt_install() { # package...
	command -v apt-get >/dev/null || return 1
	as_root apt-get update -q >&2 || return 1
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >&2 || return 1
}

if [ "$install_tshark" = 1 ]; then
	if command -v tshark >/dev/null; then
		note "tshark is already installed: $(command -v tshark)"
	else
		note "installing tshark (apt-get)"
		apt_install tshark || die "could not install tshark: apt-get update/install failed, or not root and no sudo"
		command -v tshark >/dev/null || die "tshark installed but not on PATH"
	fi
fi

timebin=/usr/bin/time
if ! [ -x "$timebin" ]; then
	note "$timebin is missing; installing Debian package 'time'"
	apt_install time || die "$timebin (GNU time, Debian package 'time') is missing and could not be installed: install it, e.g. apt-get install time"
	[ -x "$timebin" ] || die "package 'time' installed but $timebin is still missing"
fi
"$timebin" -v -o /dev/null true 2>/dev/null || die "$timebin does not accept -v -o (GNU time is needed, not BusyBox or BSD time)"

if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
	PATH=$PATH:/usr/local/go/bin
fi
command -v go >/dev/null || die "go is not on PATH"
[ -d internal/workload/gen ] || die "the workload generator internal/workload/gen is missing"

mkdir -p "$work" || die "cannot create work directory $work"
work=$(cd "$work" && pwd)

note "building into $work"
go build -o "$work/msnsniff" ./cmd/msnsniff || die "building cmd/msnsniff failed"
go build -o "$work/floor" ./internal/workload/floor || die "building internal/workload/floor failed"
go build -o "$work/gen" ./internal/workload/gen || die "building internal/workload/gen failed"

have_tshark=0
if command -v tshark >/dev/null; then
	have_tshark=1
fi

# Which sizes tshark runs on.
declare -A tshark_on=()
if [ "$have_tshark" = 1 ]; then
	if [ "$tshark_sizes_env" = all ]; then
		for s in "${sizes[@]}"; do tshark_on[$s]=1; done
	elif [ -n "$tshark_sizes_env" ]; then
		for t in $tshark_sizes_env; do
			[ -n "${size_n[$t]:-}" ] || die "BENCH_TSHARK_SIZES names $t, which is not in BENCH_SIZES (${sizes[*]})"
			tshark_on[$t]=1
		done
	else
		pick=${sizes[0]}
		for s in "${sizes[@]}"; do
			if [ "${size_n[$s]}" -ge $((100 << 20)) ]; then
				pick=$s
				break
			fi
		done
		tshark_on[$pick]=1
	fi
else
	note "tshark is not on PATH: no tshark comparison (scripts/bench.sh --install-tshark installs it)"
fi

# --- captures ----------------------------------------------------------------

impair_args=()
suffix=
if [ "$impair" = 1 ]; then
	impair_args=(-reorder 0.01 -dup 0.005 -loss 0.0005)
	suffix=-impair
fi

declare -A capfile=()
for s in "${sizes[@]}"; do
	f=$work/capture-$s-seed$seed$suffix.pcap
	capfile[$s]=$f
	if [ -s "$f" ]; then
		note "reusing $f"
		continue
	fi
	note "generating $f"
	# Into a temporary name first, so an interrupted run leaves nothing that
	# a later one would take for a finished capture.
	"$work/gen" -o "$f.tmp" -size "$s" -seed "$seed" "${impair_args[@]}" ||
		die "generating the $s capture failed: $work/gen -o $f.tmp -size $s -seed $seed ${impair_args[*]}"
	mv "$f.tmp" "$f"
done

# The server-side captures, one per concurrency, all of one size.
declare -A conc_file=()
if [ ${#concurrency[@]} -gt 0 ]; then
	size_bytes "$conc_size" >/dev/null
	for n in "${concurrency[@]}"; do
		f=$work/server-$n-logins-$conc_contacts-contacts-$conc_size-seed$seed.pcap
		conc_file[$n]=$f
		if [ -s "$f" ]; then
			note "reusing $f"
			continue
		fi
		note "generating $f ($n logins open at once)"
		"$work/gen" -o "$f.tmp" -size "$conc_size" -seed "$seed" -hold -sessions "$n" -contacts "$conc_contacts" ||
			die "generating the $n-login capture failed: $work/gen -o $f.tmp -size $conc_size -seed $seed -hold -sessions $n -contacts $conc_contacts"
		mv "$f.tmp" "$f"
	done
	# The baseline of like content: a login storm, the first concurrency's
	# logins at a time, each signing out a second after its list and
	# replaced at once (gen -visit). A held capture of many logins is
	# nearly all login bursts (20,000 logins take 800 MB to sign in with
	# 300 contacts), one of few nearly all chat and presence: per byte,
	# those are different work, whatever the concurrency. The storm has
	# the held captures' login-heavy content with few logins open.
	storm=$work/server-storm-${concurrency[0]}-logins-$conc_contacts-contacts-$conc_size-seed$seed.pcap
	if [ -s "$storm" ]; then
		note "reusing $storm"
	else
		note "generating $storm (${concurrency[0]} logins at a time, turning over)"
		"$work/gen" -o "$storm.tmp" -size "$conc_size" -seed "$seed" -hold -sessions "${concurrency[0]}" -visit 1s -contacts "$conc_contacts" ||
			die "generating the login storm failed"
		mv "$storm.tmp" "$storm"
	fi
fi

# --- measuring ---------------------------------------------------------------

# Results, keyed "size|tool".
declare -A r_wall=() r_rss=() r_cpu=() r_faults=()
declare -A file_bytes=() file_pkts=()

# elapsed_seconds "h:mm:ss" or "m:ss.ss": time -v's wall clock in seconds.
elapsed_seconds() {
	awk -v t="$1" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.6f", s }'
}

# children_cpu FILE: the user + system seconds of the shell's finished
# children when FILE was written by `times >FILE` (in this shell, not a
# subshell: a subshell's times are its own), to the millisecond; time -v
# reports them to 1/100 s only.
children_cpu() {
	awk 'NR == 2 {
		n = split($0, f, /[ms]+/); s = 0
		for (i = 1; i + 1 <= n; i += 2) if (f[i] != "") s += f[i] * 60 + f[i + 1]
		printf "%.3f", s }' "$1"
}

# measure SIZE TOOL STDOUT OKCODES CMD...: runs CMD $runs times under
# time -v with its stdout to STDOUT and its stderr to a file of its own,
# fails unless its exit status is in OKCODES (space-separated), and records
# the least wall time (with that run's CPU time) and the largest peak RSS.
measure() {
	local size=$1 tool=$2 out=$3 okcodes=$4
	shift 4
	local base=$work/run-$size-$tool
	local timef=$base.time errf=$base.stderr
	local i rc t0 t1 c0 c1 wall tv_wall rss cpu faults status best_wall='' best_cpu='' best_faults='' max_rss=0
	# A run on a capture under 100 MB takes well under a second, so the
	# machine's noise is most of its spread: such runs are repeated at
	# least small_runs times (still seconds in all) for a least time that
	# means something.
	local n=$runs
	if [ "${file_bytes[$size]:-0}" -lt $((100 << 20)) ] && [ "$n" -lt "$small_runs" ]; then
		n=$small_runs
	fi
	for ((i = 1; i <= n; i++)); do
		note "  $tool ($size, run $i/$n)"
		rc=0
		times >"$base.cpu0"
		t0=$EPOCHREALTIME
		"$timebin" -v -o "$timef" "$@" >"$out" 2>"$errf" || rc=$?
		t1=$EPOCHREALTIME
		times >"$base.cpu1"
		c0=$(children_cpu "$base.cpu0")
		c1=$(children_cpu "$base.cpu1")
		status=$(awk -F': ' '/^[ \t]*Exit status:/ {print $2}' "$timef" 2>/dev/null || true)
		if ! [[ " $okcodes " == *" $rc "* ]]; then
			{
				echo "bench.sh: $tool on the $size capture failed with exit status $rc${status:+ (time -v: $status)}:"
				echo "  $*"
				if [ -s "$errf" ]; then
					echo "  its stderr ends:"
					tail -n 20 "$errf" | sed 's/^/    /'
				fi
				grep -i 'terminated by signal' "$timef" 2>/dev/null | sed 's/^/  /' || true
			} >&2
			exit 1
		fi
		tv_wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $NF}' "$timef")
		rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$timef")
		faults=$(awk -F': ' '/Minor \(reclaiming a frame\) page faults/ {print $2}' "$timef")
		cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$tv_wall" ] || ! [[ $rss =~ ^[0-9]+$ ]] || ! [[ $faults =~ ^[0-9]+$ ]]; then
			die "cannot parse the time -v report $timef"
		fi
		# time -v reports the wall clock to 1/100 s only, too coarse for the
		# floor on small files: the clock read around it (including the
		# fork and exec of time itself, well under a millisecond) is the
		# figure used; time -v's is the fallback without EPOCHREALTIME.
		if [ -n "$t0" ] && [ -n "$t1" ]; then
			wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
		else
			wall=$(elapsed_seconds "$tv_wall")
		fi
		if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
			best_cpu=$cpu
			best_faults=$faults
		fi
		if [ "$rss" -gt "$max_rss" ]; then
			max_rss=$rss
		fi
	done
	r_wall[$size|$tool]=$best_wall
	r_cpu[$size|$tool]=$best_cpu
	r_faults[$size|$tool]=$best_faults
	r_rss[$size|$tool]=$max_rss
}

tools=(floor floor-zerocopy read-json contacts tshark tshark-json)

# Process start: the same commands on a capture of no packets (a pcap
# header alone), what every run pays whatever its size; the report sets
# it against the short runs.
empty=$work/empty.pcap
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$empty" ||
	die "cannot write $empty"
file_bytes[empty]=$(stat -c %s "$empty")
note "== process start: $empty (no packets)"
measure empty floor /dev/null "0" "$work/floor" "$empty"
measure empty read-json /dev/null "0" "$work/msnsniff" read --format json "$empty"
measure empty contacts /dev/null "0" "$work/msnsniff" contacts "$empty"

# measure_floors KEY FILE: both floors on FILE, and its packet count.
measure_floors() {
	local key=$1 f=$2 pk
	measure "$key" floor "$work/floor-$key.out" "0" "$work/floor" "$f"
	pk=$(sed -n 's/.*packets=\([0-9][0-9]*\).*/\1/p' "$work/floor-$key.out")
	[ -n "$pk" ] || die "cannot find packets=N in the floor's output: $(cat "$work/floor-$key.out")"
	file_pkts[$key]=$pk
	measure "$key" floor-zerocopy /dev/null "0" "$work/floor" -zerocopy "$f"
}

for s in "${sizes[@]}"; do
	f=${capfile[$s]}
	file_bytes[$s]=$(stat -c %s "$f")
	note "== $s: $f (${file_bytes[$s]} bytes); warming the page cache"
	cat "$f" >/dev/null

	measure_floors "$s" "$f"

	# msnsniff exits 3 when a command reports protocol findings: not a failure.
	measure "$s" read-json /dev/null "0 3" "$work/msnsniff" read --format json "$f"
	measure "$s" contacts /dev/null "0 3" "$work/msnsniff" contacts "$f"
	if [ -n "${tshark_on[$s]:-}" ]; then
		measure "$s" tshark /dev/null "0" tshark -n -r "$f" -d tcp.port==1863,msnms -Y msnms
		# What read --format json does: dissect every message and write it
		# as JSON.
		measure "$s" tshark-json /dev/null "0" tshark -n -r "$f" -d tcp.port==1863,msnms -Y msnms -T json
	fi
done

# Concurrency: the same commands on the server-side captures, and check,
# whose findings need per-login state too. The keys are "cN", and "storm"
# for the login storm.
conc_keys=()
for n in "${concurrency[@]}"; do
	conc_keys+=("c$n")
done
[ ${#concurrency[@]} -eq 0 ] || conc_keys+=(storm)
for k in "${conc_keys[@]}"; do
	if [ "$k" = storm ]; then
		f=$storm n="${concurrency[0]} (storm)"
	else
		n=${k#c} f=${conc_file[${k#c}]}
	fi
	file_bytes[$k]=$(stat -c %s "$f")
	note "== $n concurrent logins: $f (${file_bytes[$k]} bytes); warming the page cache"
	cat "$f" >/dev/null
	measure_floors "$k" "$f"
	measure "$k" read-json /dev/null "0 3" "$work/msnsniff" read --format json "$f"
	measure "$k" contacts /dev/null "0 3" "$work/msnsniff" contacts "$f"
	measure "$k" check /dev/null "0 3" "$work/msnsniff" check "$f"
done

# --- report ------------------------------------------------------------------

calc() { awk "BEGIN { printf \"$1\", $2 }"; }

echo "# msnsniff whole-process benchmark"
echo
echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(go version | awk '{print $3, $4}')"
echo "- cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown), $(nproc) cores"
if [ "$have_tshark" = 1 ]; then
	echo "- tshark: $(tshark --version 2>/dev/null | head -n 1)"
fi
imp=clean
[ "$impair" = 1 ] && imp="impaired (${impair_args[*]})"
echo "- captures: seed $seed, $imp; page cache warm; best of $runs run(s), of at least $small_runs on captures under 100 MiB"
echo "- tools: floor = pcapgo reading every packet with ReadPacketData (the usual gopacket loop); floor-zerocopy = the same with ZeroCopyReadPacketData; read-json = \`msnsniff read --format json\`; contacts = \`msnsniff contacts\`; tshark = \`tshark -n -r FILE -d tcp.port==1863,msnms -Y msnms\` (a summary line per packet); tshark-json = the same with \`-T json\` (every packet's dissection as JSON, what read-json does)"
echo
echo "Ratios are of throughput (higher is better): ratio to floor = floor seconds / tool seconds; x tshark = tshark seconds / tool seconds, against summary lines / against JSON output."
echo
echo "| size | tool | seconds | MB/s | kpkts/s | ratio to floor | ratio to zero-copy floor | x tshark | peak RSS MiB | CPU s |"
echo "|------|------|--------:|-----:|--------:|---------------:|-------------------------:|----------------:|-------------:|------:|"
for s in "${sizes[@]}"; do
	mb=$(calc "%.6f" "${file_bytes[$s]} / 1000000")
	fl=${r_wall[$s|floor]}
	fz=${r_wall[$s|floor-zerocopy]}
	for t in "${tools[@]}"; do
		w=${r_wall[$s|$t]:-}
		[ -n "$w" ] || continue
		mbps=$(calc "%.1f" "$mb / $w")
		kpps=$(calc "%.1f" "${file_pkts[$s]} / $w / 1000")
		rf=$(calc "%.3f" "$fl / $w")
		rz=$(calc "%.3f" "$fz / $w")
		rt=-
		if [ "$t" = read-json ] && [ -n "${r_wall[$s|tshark]:-}" ]; then
			rt="$(calc "%.1f" "${r_wall[$s|tshark]} / $w") / $(calc "%.1f" "${r_wall[$s|tshark-json]} / $w")"
		fi
		rss=$(calc "%.1f" "${r_rss[$s|$t]} / 1024")
		printf '| %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$s" "$t" "$w" "$mbps" "$kpps" "$rf" "$rz" "$rt" "$rss" "${r_cpu[$s|$t]}"
	done
done

echo
echo "Throughput ratios per file (higher is better; targets: b/a >= 0.12, c/a >= 0.30, b/d >= 30): a = floor, b = read-json, c = contacts, d = tshark writing JSON (like for like with b), d' = tshark writing summary lines."
echo
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "not met") }'; }
for s in "${sizes[@]}"; do
	fl=${r_wall[$s|floor]}
	ba=$(calc "%.3f" "$fl / ${r_wall[$s|read-json]}")
	ca=$(calc "%.3f" "$fl / ${r_wall[$s|contacts]}")
	line="- $s ($(calc "%.1f" "${file_bytes[$s]} / 1000000") MB, ${file_pkts[$s]} packets): b/a = $ba ($(verdict "$ba" 0.12)), c/a = $ca ($(verdict "$ca" 0.30))"
	if [ -n "${r_wall[$s|tshark]:-}" ]; then
		bd=$(calc "%.2f" "${r_wall[$s|tshark-json]} / ${r_wall[$s|read-json]}")
		bd2=$(calc "%.2f" "${r_wall[$s|tshark]} / ${r_wall[$s|read-json]}")
		line+=", b/d = $bd ($(verdict "$bd" 30)), b/d' = $bd2 ($(verdict "$bd2" 30))"
	else
		line+=", b/d = - (no tshark run on this file)"
	fi
	echo "$line"
done

echo
small=${sizes[0]}
large=${sizes[${#sizes[@]} - 1]}
# mbps SIZE TOOL START: the tool's MB/s on the SIZE capture, its time less
# START seconds (0, or its process start).
mbps() { calc "%.6f" "${file_bytes[$1]} / 1000000 / (${r_wall[$1|$2]} - $3)"; }
page_kib=$(($(getconf PAGESIZE 2>/dev/null || echo 4096) / 1024))
if [ "$small" = "$large" ]; then
	echo "Throughput scaling: only one size ($small), nothing to compare (target: within 15% between the smallest file and the larger ones)."
else
	# The smallest file against every larger one: the target names 10 MB
	# and 1 GB, and a run may have sizes on either side.
	for big in "${sizes[@]:1}"; do
		parts=()
		for t in read-json contacts; do
			a=$(mbps "$small" "$t" 0)
			b=$(mbps "$big" "$t" 0)
			pct=$(calc "%+.1f" "($b - $a) / $a * 100")
			ok=$(awk -v p="$pct" 'BEGIN { p = p < 0 ? -p : p; print (p <= 15 ? "within 15%" : "NOT within 15%") }')
			parts+=("$t $(calc "%.1f" "$a") -> $(calc "%.1f" "$b") MB/s ($pct%, $ok)")
		done
		echo "- Throughput $small -> $big: ${parts[0]}; ${parts[1]}."
	done
	# The work per byte, apart from how well a short run fills the cores
	# (a 60 ms run carries the process's start-up and the pipeline's ramp
	# and drain): CPU time (user + system) per MB.
	parts=()
	for t in read-json contacts; do
		a=$(calc "%.6f" "${r_cpu[$small|$t]} * 1000 / (${file_bytes[$small]} / 1000000)")
		b=$(calc "%.6f" "${r_cpu[$large|$t]} * 1000 / (${file_bytes[$large]} / 1000000)")
		pct=$(calc "%+.1f" "($b - $a) / $a * 100")
		parts+=("$t $(calc "%.2f" "$a") -> $(calc "%.2f" "$b") ms/MB ($pct%)")
	done
	echo
	echo "CPU time per MB $small -> $large: ${parts[0]}; ${parts[1]}."
	# Where a short run's extra time goes, so that the scaling figure can
	# be read: what every run pays before its first packet (the empty
	# capture), the throughput left once that is taken off, the floor's
	# own change, and the fresh memory each run first touches (every page
	# is a fault the kernel must zero: a short run touches its whole heap
	# once, a long one reuses it).
	parts=()
	for t in floor read-json contacts; do
		parts+=("$t $(calc "%.2f" "${r_wall[empty|$t]} * 1000") ms")
	done
	echo
	echo "Process start (the same command on a capture of no packets, best of $((runs > small_runs ? runs : small_runs))): ${parts[0]}; ${parts[1]}; ${parts[2]}."
	echo
	echo "Throughput net of process start (size / (seconds - empty-capture seconds)):"
	for big in "${sizes[@]:1}"; do
		parts=()
		for t in floor read-json contacts; do
			st=${r_wall[empty|$t]}
			if awk -v a="${r_wall[$small|$t]}" -v s="$st" 'BEGIN { exit !(a <= s) }'; then
				# Noise on a capture of a few MB: nothing left to divide by.
				parts+=("$t n/a (the $small run took no longer than its start)")
				continue
			fi
			a=$(mbps "$small" "$t" "$st")
			b=$(mbps "$big" "$t" "$st")
			pct=$(calc "%+.1f" "($b - $a) / $a * 100")
			parts+=("$t $(calc "%.1f" "$a") -> $(calc "%.1f" "$b") MB/s ($pct%)")
		done
		echo "- $small -> $big: ${parts[0]}; ${parts[1]}; ${parts[2]}."
	done
	parts=()
	for t in floor read-json contacts; do
		parts+=("$t $(calc "%.1f" "${r_faults[$small|$t]} * $page_kib / 1024") -> $(calc "%.1f" "${r_faults[$large|$t]} * $page_kib / 1024") MiB (start alone $(calc "%.1f" "${r_faults[empty|$t]} * $page_kib / 1024"))")
	done
	echo
	echo "Memory first touched (minor page faults x $page_kib KiB), $small -> $large: ${parts[0]}; ${parts[1]}; ${parts[2]}."
fi

# --- concurrency report ------------------------------------------------------

if [ ${#concurrency[@]} -gt 0 ]; then
	base=${concurrency[0]}
	echo
	echo "## Concurrent logins ($conc_size captures of the shape taken at a busy server: gen -hold -contacts $conc_contacts)"
	echo
	echo "Every login stays open from near the start to the end of its capture, with its whole contact list; all captures have one size, so per-byte throughput is comparable. \"$base (storm)\" is the baseline of like content: $base logins at a time, each signing out a second after its list and replaced at once (gen -visit 1s), so that the capture is login bursts, as the held captures of many logins are (a held capture of few logins is mostly chat and presence instead, cheaper per byte). Ratios are of throughput: to the floor (ReadPacketData), to the zero-copy floor, to the same command on the $base-login held capture, and on the storm. Targets: at 20,000 logins peak RSS < 256 MiB for every command and read-json and contacts at least 0.8 of their $base-login throughput; at 100,000 logins, peak RSS < 256 MiB."
	echo
	echo "| logins | tool | seconds | MB/s | ratio to floor | ratio to zero-copy floor | ratio to $base logins | ratio to storm | peak RSS MiB | CPU s |"
	echo "|-------:|------|--------:|-----:|---------------:|-------------------------:|------------------:|---------------:|-------------:|------:|"
	# ratio K TOOL BASEKEY: K's throughput over BASEKEY's, for TOOL.
	ratio() { calc "%.3f" "(${file_bytes[$1]} / ${r_wall[$1|$2]}) / (${file_bytes[$3]} / ${r_wall[$3|$2]})"; }
	for k in "${conc_keys[@]}"; do
		n=${k#c}
		[ "$k" = storm ] && n="$base (storm)"
		mb=$(calc "%.6f" "${file_bytes[$k]} / 1000000")
		for t in floor floor-zerocopy read-json contacts check; do
			w=${r_wall[$k|$t]}
			printf '| %s | %s | %.3f | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$t" "$w" "$(calc "%.1f" "$mb / $w")" \
				"$(calc "%.3f" "${r_wall[$k|floor]} / $w")" "$(calc "%.3f" "${r_wall[$k|floor-zerocopy]} / $w")" \
				"$(ratio "$k" "$t" "c$base")" "$(ratio "$k" "$t" storm)" \
				"$(calc "%.1f" "${r_rss[$k|$t]} / 1024")" "${r_cpu[$k|$t]}"
		done
	done
	echo
	for n in "${concurrency[@]}"; do
		k=c$n
		line="- $n logins:"
		for t in read-json contacts check; do
			rss=$(calc "%.1f" "${r_rss[$k|$t]} / 1024")
			line+=" $t $(ratio "$k" "$t" "c$base") of $base held logins, $(ratio "$k" "$t" storm) of the storm, $rss MiB ($(awk -v r="${r_rss[$k|$t]}" 'BEGIN { print (r < 256 * 1024 ? "under" : "OVER") }') 256 MiB);"
		done
		echo "${line%;}."
	done
fi
