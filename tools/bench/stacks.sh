#!/bin/bash
# Overhead of the stack/scheduler tools, one command:
#   sudo tools/bench/stacks.sh [build_dir=build] [loops=200000] [rounds=3]
#
# Workload: `perf bench sched pipe` pinned to CPU 1 (2 context switches per
# op); tracers pinned to CPU 0. For every configuration the workload runs
# `rounds` times, interleaved with the others; the median usecs/op is kept.
# Added cost per context switch = (traced - untraced) usecs/op / 2, printed
# in ns and as ratios to libbpf-tools and to an empty sched_switch program.
# With kernel.bpf_stats_enabled, the BPF run time per program call is also
# printed (ns/run), a figure independent of the machine's noise.
#
# profile is measured on a CPU burner instead (its cost is per sample, not
# per switch): ns per sample from bpf_stats at -F 999, against bpftrace's
# profile probe when libbpf-tools has no profile (Debian's package has none).
set -u
BUILD=${1:-build}
LOOPS=${2:-200000}
ROUNDS=${3:-3}
BIN=$(cd "$BUILD/bin" && pwd) || { echo "no $BUILD/bin: build first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not installed (linux-perf)" >&2; exit 1; }

STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 || true
TRACER_PID=
cleanup() {
    [ -n "$TRACER_PID" ] && kill -KILL "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID" 2>/dev/null
    sysctl -qw kernel.bpf_stats_enabled="$STATS_BEFORE" || true
}
trap cleanup EXIT

# usecs/op of one pinned pipe run
pipe_run() {
    taskset -c 1 perf bench sched pipe -l "$LOOPS" 2>/dev/null | awk '/usecs\/op/ {print $1}'
}

# Programs attached to sched_switch right now, by name -> "run_time_ns run_cnt"
prog_stats() {
    bpftool prog show -j 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("run_cnt"): print(p["id"], p.get("name", "?"), p.get("run_time_ns", 0), p["run_cnt"])'
}

start_tracer() {  # command...
    prog_stats > /tmp/stacks_bench_existing.$$
    taskset -c 0 "$@" > /dev/null 2> /tmp/stacks_bench_tracer.$$ &
    TRACER_PID=$!
    sleep 2.5  # load, attach, symbolizer set-up
    if ! kill -0 "$TRACER_PID" 2>/dev/null; then
        echo "tracer failed: $*" >&2; cat /tmp/stacks_bench_tracer.$$ >&2; TRACER_PID=; return 1
    fi
    prog_stats > /tmp/stacks_bench_before.$$
}

# ns per BPF program run of the tracer's programs (those that appeared after
# start_tracer began) during the measurement, weighted by calls. The tracer is
# then killed: its report (symbolization) is not what is measured here.
stop_tracer() {
    prog_stats > /tmp/stacks_bench_after.$$
    kill -KILL "$TRACER_PID" 2>/dev/null
    wait "$TRACER_PID" 2>/dev/null
    TRACER_PID=
    python3 - /tmp/stacks_bench_before.$$ /tmp/stacks_bench_after.$$ /tmp/stacks_bench_existing.$$ <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        i, name, ns, cnt = line.split()
        d[i] = (name, int(ns), int(cnt))
    return d
before, after, existing = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
ns = cnt = 0
for i, (name, t, c) in after.items():
    if i in existing: continue  # not the tracer's
    t0, c0 = before.get(i, (name, 0, 0))[1:]
    ns += t - t0; cnt += c - c0
print(f"{ns / cnt:.0f}" if cnt else "-")
PY
}

declare -A CMD
ORDER=(base empty lt_offcpu ours_offcpu ours_switchout lt_offcpu_m1000 ours_m1000 lt_runqlat ours_runqlat)
CMD[empty]="$BIN/bpfscope offcputime --attach-empty-program"
CMD[lt_offcpu]="/usr/sbin/offcputime"
CMD[ours_offcpu]="$BIN/bpfscope offcputime -f"
CMD[ours_switchout]="$BIN/bpfscope offcputime -f --capture switch-out"
CMD[lt_offcpu_m1000]="/usr/sbin/offcputime -m 1000"
CMD[ours_m1000]="$BIN/bpfscope offcputime -f -m 1000"
CMD[lt_runqlat]="/usr/sbin/runqlat"
CMD[ours_runqlat]="$BIN/bpfscope runqlat"
declare -A RESULTS BPFNS
for round in $(seq "$ROUNDS"); do
    for config in "${ORDER[@]}"; do
        if [ "$config" = base ]; then
            RESULTS[$config]+="$(pipe_run) "
            continue
        fi
        [ -x "${CMD[$config]%% *}" ] || { RESULTS[$config]="missing"; continue; }
        start_tracer ${CMD[$config]} || continue
        RESULTS[$config]+="$(pipe_run) "
        BPFNS[$config]+="$(stop_tracer) "
    done
    echo "round $round done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | grep -v '^-$' | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
python3 - "$LOOPS" "$ROUNDS" <<PY
import sys
rows = {}
$(for c in "${ORDER[@]}"; do echo "rows['$c'] = ('$(echo "${RESULTS[$c]:-}" | median)', '$(echo "${BPFNS[$c]:-}" | median)', '${RESULTS[$c]:-}')"; done)
base = float(rows['base'][0])
def added(c):
    try: return (float(rows[c][0]) - base) * 1000 / 2
    except ValueError: return None
print(f"perf bench sched pipe -l {sys.argv[1]}, pinned CPU 1; tracers on CPU 0; median of {sys.argv[2]} rounds")
print(f"untraced: {base:.3f} usecs/op (2 context switches per op)")
print(f"{'configuration':<18}{'usecs/op':>10}{'added ns/switch':>17}{'bpf ns/run':>12}{'vs libbpf-tools':>17}{'vs empty prog':>15}")
pairs = {'ours_offcpu': 'lt_offcpu', 'ours_switchout': 'lt_offcpu', 'ours_m1000': 'lt_offcpu_m1000',
         'ours_runqlat': 'lt_runqlat', 'empty': None}
for c in rows:
    if c == 'base': continue
    a = added(c)
    if a is None:
        print(f"{c:<18}{'n/a':>10}"); continue
    ref = pairs.get(c)
    vs_lt = f"{a / added(ref):.2f}x" if ref and added(ref) else ""
    vs_empty = f"{a / added('empty'):.1f}x" if added('empty') and c != 'empty' else ""
    print(f"{c:<18}{rows[c][0]:>10}{a:>17.0f}{rows[c][1]:>12}{vs_lt:>17}{vs_empty:>15}")
PY

# profile: per-sample cost on a CPU burner (bpf_stats), ours vs bpftrace.
echo
echo "profile at 999 Hz on a CPU burner (5 s), BPF ns per sample:"
"$BIN/cpuburn" 8 75 > /dev/null &
BURNER=$!
start_tracer "$BIN/bpfscope" profile -F 999 -f && echo "  bpfscope profile:  $(stop_tracer) ns/sample (kernel+user stacks)"
if command -v bpftrace > /dev/null; then
    start_tracer bpftrace -e 'profile:hz:999 { @[kstack, ustack, comm] = count(); }' &&
        echo "  bpftrace profile:  $(stop_tracer) ns/sample (kernel+user stacks)"
fi
if [ -x /usr/sbin/profile ]; then
    start_tracer /usr/sbin/profile -F 999 && echo "  libbpf-tools profile: $(stop_tracer) ns/sample"
fi
kill "$BURNER" 2>/dev/null; wait "$BURNER" 2>/dev/null
rm -f /tmp/stacks_bench_*.$$
