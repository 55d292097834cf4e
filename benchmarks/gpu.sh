#!/usr/bin/env bash
# The GPU checks, as one prepared script for a lent GPU machine (torch, lightning, torchmetrics
# already installed there; wandb may be missing, and then runs log to CSV only).
#
#   bash benchmarks/gpu.sh throughput OUT_DIR   # fp32 + bf16-mixed, seed and default: gpu.md (~6 min on an H200)
#   bash benchmarks/gpu.sh explore OUT_DIR      # candidate recipes, validation F1 only, 3 seeds (~5.5 min)
#   bash benchmarks/gpu.sh ablations OUT_DIR    # the ablation table on the GPU: accuracy-gpu.md
#
# Data: ../shared/data, or a copy of it in .kwdata/ (inspec/ and glove/). Packages missing
# there (jsonargparse and its signature extras) can come as wheels in .whl/.
set -euo pipefail
stage=${1:?stage: throughput, explore or ablations}
out=${2:-/tmp/kw-gpu}
mkdir -p "$out"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/kw-site .whl/*.whl
    export PYTHONPATH=/tmp/kw-site
fi
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 WANDB_MODE=offline WANDB_SILENT=true
data=$root/../shared/data
[ -d "$data/inspec" ] || data=$root/.kwdata  # absolute: the benchmarks run from other folders
inspec=$data/inspec
glove=$data/glove/glove.6B.50d.top100k.txt.gz
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, lightning; print('torch', torch.__version__, 'lightning', lightning.__version__)"

case $stage in
throughput)
    python3 benchmarks/throughput.py --accelerator gpu --precision 32-true bf16-mixed \
        --inspec "$inspec" --glove "$glove" --out "$out/gpu.md"
    ;;
explore)
    python3 benchmarks/accuracy.py --fit-only --seeds 42 43 44 --parallel "${PARALLEL:-15}" \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-explore --out "$out/explore.md" \
        --recipes default no-doc-features plain-dropout chars lr-plateau hidden-256 fusion-1 \
        word-dropout chars+lr-plateau \
        --trainer-args --trainer.accelerator gpu
    ;;
ablations)
    python3 benchmarks/accuracy.py --recipes ablations --seeds 42 43 44 --parallel "${PARALLEL:-15}" \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-ablations --out "$out/accuracy-gpu.md" \
        --trainer-args --trainer.accelerator gpu
    ;;
*)
    echo "unknown stage $stage" >&2
    exit 2
    ;;
esac
