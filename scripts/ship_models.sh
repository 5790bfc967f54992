#!/usr/bin/env bash
# Ships the default models: for each task, the CDVAE K = 12 that
# scripts/reproduce.sh trained on data/train (data/models/TASK/cdvae_k12.psm)
# becomes assets/models/TASK.psm, compiled into the binary.
#
# It is stored as f16 when that changes neither the error of best of 100 nor
# the variance on the held-out split by 1 % or more (`polyshade eval` of the
# f32 and f16 files side by side, same seed), otherwise as f32. Beside each
# model goes TASK.json, its provenance: command line, corpus manifest hash,
# epochs, wall time, machine, final loss terms, the calibrated sampling σ,
# the precision measurement
# and its eval row.
#
# Usage: scripts/ship_models.sh [TASK...]   (both tasks when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/polyshade/target}"
# The binary `cargo test` builds (dev-dependencies unify features: building
# the binary alone would compile burn a second time).
cargo build --quiet --bins --tests
bin="$CARGO_TARGET_DIR/debug/polyshade"

tasks=("$@")
[ ${#tasks[@]} -gt 0 ] || tasks=(resaturate relight)
for task in "${tasks[@]}"; do
    case "$task" in resaturate | relight) ;; *) echo "no task '$task' (resaturate, relight)" >&2; exit 2 ;; esac
    dir="data/models/$task"
    [ -e "$dir/cdvae_k12.psm" ] || { echo "run scripts/reproduce.sh first ($dir/cdvae_k12.psm)" >&2; exit 1; }
    "$bin" model "$dir/cdvae_k12.psm" --out "$dir/cdvae_k12_f16.psm" --precision f16 --overwrite > /dev/null
    "$bin" eval --task "$task" --model "$dir/cdvae_k12.psm" --model "$dir/cdvae_k12_f16.psm" \
        --photos data/heldout --json "$dir/precision.json" --overwrite > /dev/null
    python3 - "$task" <<'EOF'
import json, os, platform, shutil, subprocess, sys

task = sys.argv[1]
d = f"data/models/{task}"
evals = json.load(open(f"{d}/precision.json"))["methods"]
f32, f16 = evals["cdvae_k12"], evals["cdvae_k12_2"]
rel = lambda a, b: abs(a - b) / abs(a)
change = {
    "best_of_100": rel(f32["best_of_mse"]["100"], f16["best_of_mse"]["100"]),
    "variance": rel(f32["variance"], f16["variance"]),
}
precision = "f16" if max(change.values()) < 0.01 else "f32"
source = f"{d}/cdvae_k12_f16.psm" if precision == "f16" else f"{d}/cdvae_k12.psm"
shutil.copyfile(source, f"assets/models/{task}.psm")

log = open(f"{d}/cdvae_k12.log").read().splitlines()
raw = open(f"{d}/cdvae_k12.psm", "rb").read()
header = json.loads(raw[28:28 + int.from_bytes(raw[20:28], "little")])
epochs = [l for l in log if l.startswith("epoch ") and " done: " in l]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
manifest = subprocess.run(["sha256sum", "data/corpus/MANIFEST.tsv"], capture_output=True, text=True, check=True)
results = json.load(open(f"docs/results/{task}.json"))
record = {
    "task": task,
    "method": "cdvae_k12",
    "command": open(f"{d}/cdvae_k12.cmd").read().strip(),
    "corpus_manifest_sha256": manifest.stdout.split()[0],
    "training_photos": len(os.listdir("data/train")),
    # Photos `train --hold-out` kept out of the gradient steps to calibrate
    # the samples' spread on, and the σ and mixture-weight temperature it found.
    "held_out_for_calibration": next((int(l.split("(")[1].split()[0]) for l in log if " photos held out " in l), 0),
    "sample_sigma": header.get("sample_sigma"),
    "sample_temperature": header.get("sample_temperature"),
    "examples": next((l.split()[0] for l in log if " examples from " in l), None),
    "epochs": len(epochs),
    "final_epoch": epochs[-1] if epochs else None,
    "wall_seconds": int(open(f"{d}/cdvae_k12.seconds").read()),
    "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
    "binary": "dev profile (dependencies at opt-level 3), flex CPU backend",
    "precision": precision,
    "precision_check": {
        "relative_change": change,
        "f32": {"best_of_100": f32["best_of_mse"]["100"], "variance": f32["variance"]},
        "f16": {"best_of_100": f16["best_of_mse"]["100"], "variance": f16["variance"]},
    },
    "eval": {"heldout_photos": len(os.listdir("data/heldout")), "examples": results["examples"],
             "n": results["n"], "row": results["methods"]["cdvae_k12"]},
}
with open(f"assets/models/{task}.json", "w") as f:
    json.dump(record, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(f"{task}: {precision} (best of 100 changes by {100 * change['best_of_100']:.3f} %, "
      f"variance by {100 * change['variance']:.3f} %) -> assets/models/{task}.psm")
EOF
done
