#!/usr/bin/env bash
# Polyshade against the same model in PyTorch, side by side on this machine:
# `polyshade bench --json` (release build, flex CPU backend) and a PyTorch
# reference script with the same threads, batch, K and loss (Polyshade's
# default: top-down reconstruction, per-tensor clipping), alternating them
# RUNS times. Prints each run's figures and the ratios Polyshade / PyTorch
# (min, median, max over the runs). Absolute figures on shared machines
# drift from run to run: only ratios from one run count.
#
# The PyTorch reference is not part of this repository: give its path with
# --torch-ref or the TORCH_REF environment variable. It must implement the
# Table 1 model and Polyshade's default loss, take --batch, --k and
# --threads, and print one JSON line per run with "impl",
# "train_examples_per_s" and "sample100_ms_median" (docs/performance.md).
#
# Usage: scripts/bench-vs-torch.sh --torch-ref PATH/torch_ref.py
#            [--runs 3] [--batch 64] [--k 12] [--threads 2]
# Environment: TORCH_REF=PATH instead of --torch-ref; PROFILE=dev to time
# the dev-profile binary instead (quick, not comparable); VENV=where torch
# lives (installed there with pip when missing).
set -euo pipefail

runs=3 batch=64 k=12 threads=2 torch_ref=${TORCH_REF:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --torch-ref) torch_ref=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --k) k=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "unknown option $1 (--torch-ref, --runs, --batch, --k, --threads)" >&2; exit 2 ;;
    esac
done

if [ -z "$torch_ref" ]; then
    echo "no PyTorch reference given: pass --torch-ref PATH/torch_ref.py or set TORCH_REF" >&2
    echo "(it is not part of this repository; see docs/performance.md)" >&2
    exit 2
fi
[ -f "$torch_ref" ] || { echo "the PyTorch reference $torch_ref does not exist (--torch-ref / TORCH_REF)" >&2; exit 1; }
# Resolved before leaving the caller's folder, so a relative path works.
torch_ref=$(realpath "$torch_ref")
cd "$(dirname "$0")/.."

venv=${VENV:-$HOME/.cache/polyshade/torch-venv}
if ! "$venv/bin/python" -c 'import torch' 2> /dev/null; then
    echo "installing torch into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/polyshade/target}"
if [ "${PROFILE:-release}" = dev ]; then
    # The binary `cargo test` builds (dev-dependencies unify features).
    cargo build --quiet --bins --tests
    bin="$CARGO_TARGET_DIR/debug/polyshade"
else
    cargo build --quiet --release --bins
    bin="$CARGO_TARGET_DIR/release/polyshade"
fi

# flex's GEMM and elementwise kernels run on rayon's pool.
export RAYON_NUM_THREADS=$threads
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for run in $(seq "$runs"); do
    echo "run $run of $runs" >&2
    "$bin" bench --json --batch "$batch" --k "$k" >> "$out/polyshade.jsonl"
    "$venv/bin/python" "$torch_ref" --batch "$batch" --k "$k" --threads "$threads" >> "$out/torch.jsonl"
done

python3 - "$out" "$threads" <<'EOF'
import json, statistics, sys

out, threads = sys.argv[1], sys.argv[2]
ours = [json.loads(l) for l in open(f"{out}/polyshade.jsonl")]
theirs = [json.loads(l) for l in open(f"{out}/torch.jsonl")]
print(f"batch {ours[0]['batch']}, K = {ours[0]['k']}, {threads} threads; polyshade on {ours[0]['device']}, {theirs[0]['impl']}")
print(f"{'run':>4} {'ours ex/s':>10} {'torch ex/s':>11} {'ratio':>6}   {'ours ms/100':>11} {'torch ms/100':>12} {'ratio':>6}")
train, sample = [], []
for i, (a, b) in enumerate(zip(ours, theirs), 1):
    t = a["train_examples_per_s"] / b["train_examples_per_s"]
    s = a["sample100_ms"] / b["sample100_ms_median"]
    train.append(t)
    sample.append(s)
    print(f"{i:>4} {a['train_examples_per_s']:>10.0f} {b['train_examples_per_s']:>11.0f} {t:>6.2f}   "
          f"{a['sample100_ms']:>11.2f} {b['sample100_ms_median']:>12.2f} {s:>6.2f}")
fmt = lambda v: f"{min(v):.2f} / {statistics.median(v):.2f} / {max(v):.2f}"
print(f"training examples/s, Polyshade / PyTorch (min / median / max): {fmt(train)}  (done when ≥ 1.0)")
print(f"time to sample 100,  Polyshade / PyTorch (min / median / max): {fmt(sample)}  (done when ≤ 1.0)")
EOF
