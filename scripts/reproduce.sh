#!/usr/bin/env bash
# Reproduces the paper's comparison (section 5, Fig. 5, Tables 2–3) on the
# corpus's held-out split, for both tasks:
#   1. trains every method on data/train with the defaults:
#        cdvae_k12, cdvae_k4, cdvae_k12_noemb (λ = 0) and cvae
#      into data/models/TASK/METHOD.psm (two trainings at a time: each keeps
#      about one core busy);
#   2. scores them with the mean field and the nearest neighbour on
#      data/heldout (`polyshade eval`), writing docs/results/TASK.{json,png}
#      and docs/results/TASK.md (the table docs/results.md quotes).
# Run scripts/corpus.sh first. Existing models are kept (delete
# data/models to retrain); a killed run resumes where it stopped.
#
# Wall time on a 2-core x86 CPU without a GPU (dev-profile binary, whose
# dependencies are optimised; see docs/results.md): about 45 minutes from
# scratch (the six CDVAEs 31 minutes, the two CVAEs about 13).
set -euo pipefail
cd "$(dirname "$0")/.."

# 100 epochs for the CDVAEs: their generative ladder's top path (what
# sampling decodes) keeps improving long after the loss looks flat
# (docs/results.md: top round trip 4.7 → 3.3 ×10⁻² from 30 to 100).
EPOCHS=${EPOCHS:-100}
# The CVAE's convolutions make its epochs ~4× slower on the CPU, and its
# loss flattens earlier (see docs/results.md): fewer epochs for it.
EPOCHS_CVAE=${EPOCHS_CVAE:-20}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/polyshade/target}"
[ -d data/train ] && [ -d data/heldout ] || { echo "run scripts/corpus.sh first" >&2; exit 1; }
# The binary `cargo test` builds (dev-dependencies unify features: building
# the binary alone would compile burn a second time).
cargo build --quiet --bins --tests
bin="$CARGO_TARGET_DIR/debug/polyshade"
start=$(date +%s)

# METHOD and its `polyshade train` options.
declare -A methods=(
    [cdvae_k12]="--k 12"
    [cdvae_k4]="--k 4"
    [cdvae_k12_noemb]="--k 12 --no-embedding"
    [cvae]="--network cvae"
)
order=(cdvae_k12 cdvae_k4 cdvae_k12_noemb cvae)

train() { # TASK METHOD
    local task=$1 method=$2 out="data/models/$1/$2.psm"
    local log="data/models/$1/$2.log"
    mkdir -p "data/models/$task"
    local resume=()
    [ -e "$out" ] && resume=(--resume)
    local t0 epochs=$EPOCHS
    t0=$(date +%s)
    [ "$method" = cvae ] && epochs=$EPOCHS_CVAE
    # The command line, as the provenance of a shipped model records it.
    echo "polyshade train --task $task --photos data/train --epochs $epochs ${methods[$method]} --out $out" \
        > "data/models/$task/$method.cmd"
    # A resumed run appends to the log (a finished model's log keeps its
    # epochs: ship_models.sh reads them).
    local run="$log.run"
    # shellcheck disable=SC2086
    if "$bin" train --task "$task" --photos data/train --epochs "$epochs" ${methods[$method]} \
        --out "$out" "${resume[@]}" > "$run" 2>&1; then
        # Wall seconds of this run (a resumed run adds to what it had).
        local before=0
        [ -e "data/models/$task/$method.seconds" ] && [ ${#resume[@]} -gt 0 ] && before=$(cat "data/models/$task/$method.seconds")
        echo $(( before + $(date +%s) - t0 )) > "data/models/$task/$method.seconds"
        if [ ${#resume[@]} -gt 0 ]; then cat "$run" >> "$log"; else mv "$run" "$log"; fi
        rm -f "$run"
        echo "$(date +%T) $task/$method: $(grep -E '^epoch [0-9]+ done' "$log" | tail -n 1)"
    elif grep -q "already finished" "$run"; then
        rm -f "$run"
        echo "$(date +%T) $task/$method: already trained"
    else
        cat "$run" >> "$log"
        rm -f "$run"
        echo "$(date +%T) $task/$method failed; see $log" >&2
        return 1
    fi
}

# Longest first (the CVAEs), so the two lanes finish together.
jobs=("resaturate cvae" "relight cvae")
for method in cdvae_k12 cdvae_k12_noemb cdvae_k4; do
    for task in resaturate relight; do
        jobs+=("$task $method")
    done
done
# Two at a time.
running=0
for job in "${jobs[@]}"; do
    # shellcheck disable=SC2086
    train $job &
    running=$((running + 1))
    if [ "$running" -ge 2 ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

mkdir -p docs/results
for task in resaturate relight; do
    models=()
    for method in "${order[@]}"; do models+=(--model "data/models/$task/$method.psm"); done
    "$bin" eval --task "$task" "${models[@]}" --photos data/heldout --train-photos data/train \
        --json "docs/results/$task.json" --plot "docs/results/$task.png" --overwrite | tee "docs/results/$task.txt"
    python3 - "docs/results/$task.json" > "docs/results/$task.md" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ns = ["3", "10", "30", "60", "100"]
order = ["mean_field", "nn", "cvae", "cdvae_k12_noemb", "cdvae_k4", "cdvae_k12"]
names = [m for m in order if m in r["methods"]] + [m for m in r["methods"] if m not in order]
print(f"{r['task']}: {r['examples']} held-out examples, {r['n']} samples each; error of best of n (MSE ×10⁻²) and variance (×10⁻²)\n")
print("| method | " + " | ".join(f"best of {n}" for n in ns) + " | variance |")
print("| --- |" + " --- |" * (len(ns) + 1))
for name in names:
    m = r["methods"][name]
    cells = [f"{100 * m['best_of_mse'][n]:.2f}" for n in ns]
    print(f"| {name} | " + " | ".join(cells) + f" | {100 * m['variance']:.2f} |")
EOF
done
echo "reproduce.sh took $(( ($(date +%s) - start) / 60 )) min; results in docs/results/"
