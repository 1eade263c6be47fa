#!/usr/bin/env bash
# bench/run.sh -- `npm run bench`: Shoal vs the Syncthing anchor, on this machine, over loopback.
#
#   1. builds (npm run build) when dist/engine/cli.js is missing or older than a source file
#   2. runs the Syncthing anchor ../shared/bench/syncthing-pair.sh (beside the repo) unless
#      BENCH_SYNCTHING=0 or it does not exist; installs syncthing via apt first if missing
#   3. runs bench/shoal-pair.ts (node --import tsx)
#   4. prints a side-by-side summary (bench/lib/summary.ts): per scenario both RESULT lines
#      and the ratio Shoal / Syncthing (medians when BENCH_REPS > 1)
#
# When run as root, everything (both products) runs inside one fresh network namespace with
# only `lo` up (`unshare -n`; BENCH_NETNS=0 skips, BENCH_NETNS=1 insists). Steps that need
# the network (apt) happen before that.
#
# Knobs: those of syncthing-pair.sh (BIG_MIB SMALL_COUNT SMALL_MIN_KIB SMALL_MAX_KIB SEED
# LAT_REPS LAT_POLL_MS LAT_SIZE LAT_DELAYS S4_INSERT_BYTES S4B_INSERT_BYTES S4_TRIGGER TCP_MIB
# POLL_MS TIMEOUT_S LOW_PRIORITY WEAKHASH_PCT BENCH_TMPDIR KEEP TRACE) go to both, plus
#   BENCH_QUICK=1        smoke test: BIG_MIB=64 SMALL_COUNT=500 LAT_DELAYS=1 (unless set)
#   BENCH_SYNCTHING=0    skip the anchor (summary then shows Shoal only)
#   BENCH_SHOAL=0        skip Shoal (e.g. to re-run only the anchor)
#   BENCH_BUILD=0        never run npm run build
#   BENCH_OUT=DIR        keep the raw outputs (syncthing.N.txt, shoal.N.txt, summary.txt) in DIR
#   BENCH_SETTLE_S=65    pause between the two products (sync first; see below), 0 for none
#   BENCH_REPS=1         runs of each product, alternating; the summary shows each scenario's
#                        median run and every run's time (3 for figures worth quoting)
#   BENCH_ONLY=LIST      Shoal parts to run (S1 S2 S3 S4 S5 B, comma separated; S3 brings S2,
#                        S4 brings S1), e.g. BENCH_ONLY=S5 BENCH_SYNCTHING=0 npm run bench
#   SHOAL_DAEMON, SHOAL_NODE_ARGS, SHOAL_SHEBANG_ENV, SHOAL_CONFIG_EXTRA, LAT_TIMEOUT_S   see bench/shoal-pair.ts
# LAT_POLL_MS defaults to 5 ms here for both products (the anchor's own default is 50).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
REPO=$(cd "$HERE/.." && pwd)
ANCHOR="$REPO/../shared/bench/syncthing-pair.sh"
cd "$REPO"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  export BIG_MIB=${BIG_MIB:-64} SMALL_COUNT=${SMALL_COUNT:-500} LAT_DELAYS=${LAT_DELAYS-1}
fi
export LAT_POLL_MS=${LAT_POLL_MS:-5}
BENCH_SYNCTHING=${BENCH_SYNCTHING:-1}
BENCH_SHOAL=${BENCH_SHOAL:-1}
BENCH_NETNS=${BENCH_NETNS:-auto}
BENCH_SETTLE_S=${BENCH_SETTLE_S:-65}
BENCH_REPS=${BENCH_REPS:-1}
[[ $BENCH_REPS =~ ^[1-9][0-9]?$ ]] || die "BENCH_REPS must be a number from 1 to 99"
[[ -f $ANCHOR ]] || { [[ $BENCH_SYNCTHING == 0 ]] || log "no Syncthing anchor at $ANCHOR: Shoal only"; BENCH_SYNCTHING=0; }

# ---------------------------------------------------------------- outside the netns: build, deps
if [[ "${_SHOAL_BENCH_INNER:-0}" != 1 ]]; then
  if [[ $BENCH_SHOAL != 0 && "${BENCH_BUILD:-1}" != 0 && "${SHOAL_DAEMON:-auto}" != tsx && -z "${SHOAL_CLI:-}" ]]; then
    if [[ ! -f dist/engine/cli.js ]] || [[ -n $(find engine -name '*.ts' -newer dist/engine/cli.js -print -quit) ]]; then
      log "building (npm run build)"
      if ! npm run build >&2; then
        [[ -f dist/engine/cli.js ]] || die "npm run build failed and dist/engine/cli.js does not exist"
        log "WARNING: npm run build reported errors; benchmarking the JavaScript tsc emitted anyway"
      fi
    fi
  fi
  if [[ $BENCH_SYNCTHING != 0 ]] && ! command -v syncthing >/dev/null; then
    # the anchor would do this itself, but inside our netns there is no network
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
      log "installing syncthing from Debian (for the anchor)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq syncthing >/dev/null
    else
      die "syncthing not installed (apt-get install -y syncthing), or set BENCH_SYNCTHING=0"
    fi
  fi
  if [[ $BENCH_NETNS != 0 ]]; then
    if [[ $EUID -eq 0 ]] && command -v unshare >/dev/null && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
      export _SHOAL_BENCH_INNER=1 _SHOAL_BENCH_NETNS=1
      exec unshare -n -- bash -c 'ip link set lo up && exec bash "$0" "$@"' "$SELF" "$@"
    elif [[ $BENCH_NETNS == 1 ]]; then
      die "BENCH_NETNS=1 but cannot create a network namespace"
    fi
  fi
  export _SHOAL_BENCH_INNER=1   # no netns (not root / BENCH_NETNS=0): shoal-pair must not try either
fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY ftp_proxy FTP_PROXY || true

# ---------------------------------------------------------------- run both, capture RESULT lines
OUT=$(mktemp -d -p "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}" shoalbench.XXXXXX)
CHILD="" TAILPID=""
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null   # its own EXIT trap / handlers stop its daemons by PID
    wait "$CHILD" 2>/dev/null
  fi
  [[ -n $TAILPID ]] && { wait "$TAILPID" 2>/dev/null || kill "$TAILPID" 2>/dev/null; }
  if [[ -n "${BENCH_OUT:-}" ]]; then mkdir -p "$BENCH_OUT" && cp "$OUT"/*.txt "$BENCH_OUT"/ 2>/dev/null && log "outputs in $BENCH_OUT"; fi
  rm -rf "$OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# step NAME FILE CMD...: run CMD in the background (so a signal to this script is handled at
# once) with stdout captured in FILE and followed on our stdout; stderr shown as is.
# Returns CMD's exit status; FILE is complete when it returns.
step() {
  local name=$1 file=$2 rc=0; shift 2
  log "=== $name"
  : >"$file"
  "$@" >"$file" &
  CHILD=$!
  tail -n +1 -f --pid="$CHILD" "$file" &
  TAILPID=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  wait "$TAILPID" 2>/dev/null || true
  TAILPID=""
  [[ $rc -eq 0 ]] || log "$name exited with status $rc"
  return $rc
}

# settle: the same starting point for the next product: the last one's writes flushed and
# the inodes it deleted at its end aged. ext4 without a journal (as on these VMs) skips
# inodes deleted in the last minute when it allocates new ones (ialloc.c recently_deleted),
# which made whichever product ran second create its 10,000 files measurably slower.
settle() {
  [[ $BENCH_SYNCTHING != 0 && $BENCH_SHOAL != 0 && $BENCH_SETTLE_S -gt 0 ]] || return 0
  log "settling ${BENCH_SETTLE_S} s (sync, deleted inodes age) before the next product"
  sync
  sleep "$BENCH_SETTLE_S"
}

# BENCH_REPS runs of each, alternating (anchor, Shoal, anchor, Shoal, ...), so both see the
# machine in the same states; the summary shows each scenario's median run.
ST_RC=skipped SH_RC=skipped ST_FILES="" SH_FILES=""
for ((rep = 1; rep <= BENCH_REPS; rep++)); do
  tag=""; [[ $BENCH_REPS -gt 1 ]] && tag=" (run $rep of $BENCH_REPS)"
  if [[ $BENCH_SYNCTHING != 0 ]]; then
    [[ $rep -gt 1 ]] && settle
    rc=0; step "Syncthing anchor ($ANCHOR)$tag" "$OUT/syncthing.$rep.txt" bash "$ANCHOR" || rc=$?
    [[ $ST_RC == skipped || $ST_RC == 0 ]] && ST_RC=$rc
    ST_FILES+="${ST_FILES:+,}$OUT/syncthing.$rep.txt"
  fi
  if [[ $BENCH_SHOAL != 0 ]]; then
    settle
    rc=0; step "Shoal (bench/shoal-pair.ts)$tag" "$OUT/shoal.$rep.txt" node --import tsx bench/shoal-pair.ts || rc=$?
    [[ $SH_RC == skipped || $SH_RC == 0 ]] && SH_RC=$rc
    SH_FILES+="${SH_FILES:+,}$OUT/shoal.$rep.txt"
  fi
done

echo
node --import tsx bench/lib/summary.ts "$ST_FILES" "$SH_FILES" | tee "$OUT/summary.txt"
echo
echo "exit status: syncthing anchor=$ST_RC shoal=$SH_RC"
[[ $SH_RC == 0 || $SH_RC == skipped ]] && [[ $ST_RC == 0 || $ST_RC == skipped ]]
