#!/usr/bin/env bash
# The whole GPU check in one command, for a lent GPU machine (docs/gpu.md), from the bundle made by
# scripts/gpu-bundle.sh: adapter, limits and features; the op suite and the golden training step on
# that adapter; matmul TFLOP/s against the f32 peak; kernels-bench --full against tfjs and jax-js; the
# same shapes in PyTorch (f32, TF32 off); the training step against PyTorch (dist/step-bench.js, when
# built); pre-training throughput and peak memory of tiny, small and base with the GPU log-mel.
#
#   bash scripts/gpu-check-all.sh OUTDIR [--smoke] [--bundle DIR] [--budget SECONDS] [--archive FILE]
#                                        [--only STAGE,STAGE...]   (a rerun of some stages after a fix)
#
# Every stage has its own time limit, and all of them together stay inside --budget (default 420 s,
# 300 with --smoke; a stage that would start with under 5 s left is skipped), so the command ends
# well inside 8 minutes.
# OUTDIR gets logs/STAGE.log for every stage, each stage's JSON, stages.jsonl, meta.json, env.txt, and
# summary.txt / summary.json; the short table is printed last. --archive FILE also packs OUTDIR into
# one .tar.gz (the lent machine returns at most 8 files). --smoke: small sizes, tiny only, PyTorch on
# the CPU if at hand (else its script only compiled), no CUDA:
# what CI runs on lavapipe (test/gpu-check-smoke.test.ts) so that this script cannot rot.
# Exit 0 when every stage that ran passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUTDIR=""
SMOKE=0
BUNDLE="${AASP_GPU_BUNDLE:-$REPO/.gpu-bundle}"
BUDGET=""
ARCHIVE=""
ONLY=""
BATCH="${AASP_GPU_BATCH:-32}"
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1; shift ;;
    --bundle) BUNDLE=$2; shift 2 ;;
    --budget) BUDGET=$2; shift 2 ;;
    --archive) ARCHIVE=$2; shift 2 ;;
    --only) ONLY=",$2,"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu-check-all: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$OUTDIR" ] || { echo "gpu-check-all: one OUTDIR only" >&2; exit 2; }; OUTDIR=$1; shift ;;
  esac
done
[ -n "$OUTDIR" ] || { echo "usage: bash scripts/gpu-check-all.sh OUTDIR [--smoke] [--bundle DIR] [--budget SECONDS] [--archive FILE] [--only STAGES]" >&2; exit 2; }
[ -z "$BUDGET" ] && { [ $SMOKE = 1 ] && BUDGET=300 || BUDGET=420; }
STAGES=",adapter,op-suite,golden-step,matmul-peak,kernels-bench,torch-bench,step-bench,train-tiny,train-small,train-base,"
for st in $(echo "${ONLY//,/ }"); do
  [ "${STAGES#*,$st,}" = "$STAGES" ] && { echo "gpu-check-all: --only: no stage $st (stages: $(echo "${STAGES:1:${#STAGES}-2}" | sed 's/,/, /g'))" >&2; exit 2; }
done
wanted() { [ -z "$ONLY" ] || [ "${ONLY#*,$1,}" != "$ONLY" ]; }
case "$BUDGET" in ''|*[!0-9]*) echo "gpu-check-all: --budget expects whole seconds, got $BUDGET" >&2; exit 2 ;; esac
[ -d "$BUNDLE" ] || { echo "gpu-check-all: no bundle at $BUNDLE (make it with bash scripts/gpu-bundle.sh, or pass --bundle DIR)" >&2; exit 2; }
START=$(date +%s)
DEADLINE=$((START + BUDGET))
RESERVE=8   # seconds kept for the report
mkdir -p "$OUTDIR/logs" || exit 2
OUTDIR=$(cd "$OUTDIR" && pwd)
: > "$OUTDIR/stages.jsonl"
say() { printf '[%4ds] %s\n' $(( $(date +%s) - START )) "$*"; }

# ---- unpack the bundle (xz, or Python's lzma where the machine has no xz)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aasp-gpu.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unxz_to() { # FILE.xz DEST
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
mkdir -p "$WORK/bin"
if [ -f "$BUNDLE/node.xz" ]; then unxz_to "$BUNDLE/node.xz" "$WORK/bin/node"; else cp "$BUNDLE/node" "$WORK/bin/node"; fi
chmod +x "$WORK/bin/node"
if [ -f "$BUNDLE/app.tar.xz" ]; then unxz_to "$BUNDLE/app.tar.xz" "$WORK/app.tar"; tar -C "$WORK" -xf "$WORK/app.tar"; rm -f "$WORK/app.tar"
else tar -C "$WORK" -xf "$BUNDLE/app.tar"; fi
APP="$WORK/app"
[ -f "$APP/dist/op-suite.js" ] || { echo "gpu-check-all: the bundle at $BUNDLE is incomplete (no dist/op-suite.js)" >&2; exit 2; }
export PATH="$WORK/bin:$PATH"
say "unpacked $BUNDLE ($(cat "$BUNDLE/MANIFEST.json" 2>/dev/null | tr -d '\n ' | head -c 300))"

# ---- Vulkan: the bundled loader first, and the NVIDIA driver's ICD made visible (scripts/gpu/vulkan-env.sh).
. "$REPO/scripts/gpu/vulkan-env.sh"
aasp_vulkan_env "$APP/vulkan/lib"
say "Vulkan: $ICD_NOTE"

PY=${AASP_PYTHON:-$(command -v python3 || true)}
GPU_NAME=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)
{
  echo "date: $(date -u)"; echo "uname: $(uname -a)"; echo "node: $(node --version)"; echo "python: ${PY:-none}"
  echo "vulkan: $ICD_NOTE"; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "nvidia-smi: ${GPU_NAME:-none}"; nvidia-smi 2>/dev/null || true
} > "$OUTDIR/env.txt" 2>&1
COMMIT=$(sed -n 's/.*"commit": "\([^"]*\)".*/\1/p' "$BUNDLE/MANIFEST.json" 2>/dev/null)
cat > "$OUTDIR/meta.json" <<EOF
{"mode": "$([ $SMOKE = 1 ] && echo smoke || echo full)", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "commit": "${COMMIT:-unknown}", "gpu": "$(echo "$GPU_NAME" | sed 's/"//g')", "vulkan": "$(echo "$ICD_NOTE" | sed 's/"//g')", "budget_s": $BUDGET}
EOF

# ---- stages: run_stage NAME CAP_SECONDS command...; output in logs/NAME.log, a line in stages.jsonl
FAILED=0
record() { printf '{"stage": "%s", "status": "%s", "seconds": %s}\n' "$1" "$2" "$3" >> "$OUTDIR/stages.jsonl"; }
run_stage() {
  local name=$1 cap=$2; shift 2
  if ! wanted "$name"; then record "$name" "skipped (--only)" 0; return; fi
  local left=$((DEADLINE - $(date +%s) - RESERVE)) t=$cap
  [ $left -lt $t ] && t=$left
  if [ $t -lt 5 ]; then record "$name" "skipped (time budget)" 0; say "$name: skipped (time budget)"; return; fi
  local t0 rc status
  t0=$(date +%s)
  (cd "$APP" && timeout -k 5 "$t" "$@") > "$OUTDIR/logs/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124|137) status="timeout after ${t}s"; FAILED=1 ;;
    *) status="failed (exit $rc)"; FAILED=1 ;;
  esac
  record "$name" "$status" $(( $(date +%s) - t0 ))
  say "$name: $status ($(( $(date +%s) - t0 )) s) $(grep -v '^Warning: max' "$OUTDIR/logs/$name.log" | tail -1 | cut -c1-140)"
}
skip() { record "$1" "skipped ($2)" 0; say "$1: skipped ($2)"; }

O=$OUTDIR
if [ $SMOKE = 1 ]; then
  run_stage adapter 60 node dist/gpu-adapter.js --json "$O/adapter.json"
  run_stage op-suite 90 node dist/op-suite.js --filter add,softmax,sum --max-cases 1 --json "$O/op-suite.json"
  run_stage golden-step 150 node dist/golden-step.js --json "$O/golden-step.json"
  run_stage matmul-peak 60 node dist/matmul-peak.js --sizes 64 --reps 2 --json "$O/matmul-peak.json"
  run_stage kernels-bench 90 node dist/kernels-bench.js --filter matvec --reps 2 --json "$O/kernels-bench.json"
  # PyTorch on the CPU where some python3 here has it (its parsing of the shapes above is then
  # checked too); else only whether the script compiles.
  TPY=""
  wanted torch-bench && for p in ${AASP_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then TPY=$(command -v "$p"); break; fi
  done
  if [ -n "$TPY" ]; then
    run_stage torch-bench 60 "$TPY" scripts/gpu/torch_bench.py --device cpu --reps 2 --from "$O/kernels-bench.json" --from "$O/matmul-peak.json" --json "$O/torch-bench.json"
  elif [ -n "$PY" ]; then run_stage torch-bench 30 "$PY" -m py_compile scripts/gpu/torch_bench.py
  else skip torch-bench "no python3"; fi
  if [ -f "$APP/dist/step-bench.js" ]; then run_stage step-bench 30 node dist/step-bench.js --help; else skip step-bench "dist/step-bench.js not available"; fi
  run_stage train-tiny 150 node dist/train-throughput.js --config tiny --batch 1 --steps 2 --out "$WORK/runs/tiny" --json "$O/train-tiny.json"
else
  run_stage adapter 60 node dist/gpu-adapter.js --json "$O/adapter.json"
  run_stage op-suite 120 node dist/op-suite.js --json "$O/op-suite.json"
  run_stage golden-step 60 node dist/golden-step.js --json "$O/golden-step.json"
  run_stage matmul-peak 45 node dist/matmul-peak.js --sizes 1024,2048,4096 --json "$O/matmul-peak.json"
  run_stage kernels-bench 120 node dist/kernels-bench.js --full --json "$O/kernels-bench.json"
  if [ -n "$PY" ]; then
    run_stage torch-bench 60 "$PY" scripts/gpu/torch_bench.py --from "$O/kernels-bench.json" --from "$O/matmul-peak.json" --json "$O/torch-bench.json"
  else skip torch-bench "no python3"; fi
  if [ -f "$APP/dist/step-bench.js" ]; then
    run_stage step-bench 120 node dist/step-bench.js --configs tiny,small,base --batch "$BATCH,$BATCH,$BATCH" --reps 3 --torch-device cuda --python "${PY:-python3}" --json "$O/step-bench.json"
  else skip step-bench "dist/step-bench.js not available"; fi
  for c in tiny small base; do
    run_stage "train-$c" 60 node dist/train-throughput.js --config "$c" --batch "$BATCH" --steps 8 --out "$WORK/runs/$c" --json "$O/train-$c.json"
  done
fi
rm -rf "$WORK/runs"

# ---- the short table, last
echo
node "$APP/dist/gpu-report.js" "$OUTDIR" || FAILED=1
if [ -n "$ARCHIVE" ]; then tar -C "$(dirname "$OUTDIR")" -czf "$ARCHIVE" "$(basename "$OUTDIR")" && say "archive: $ARCHIVE"; fi
say "done in $(( $(date +%s) - START )) s; logs and JSON in $OUTDIR"
exit $FAILED
