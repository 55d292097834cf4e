"""Multi-node DDP: `fit` and `predict` as 2 nodes x 1 process on localhost (gloo), each node started as torchrun would.

Each "node" is a separate process in its own working directory (a machine of its own: nothing shared
but the data file), found by the other through MASTER_ADDR/MASTER_PORT. Lightning's LightningEnvironment
takes NODE_RANK from the environment and, because LOCAL_RANK is set, starts no processes itself.
"""

import shutil
import socket
import subprocess
import sys
import time

import pytest
import torch

from keyword_lightning.runs import METRICS_CSV, latest_row, metric_rows
from tests.conftest import CLI, ROOT, TINY_DOCS, run_cli, run_env, write_conll

pytestmark = pytest.mark.slow

NODES, EPOCHS, BATCH = 2, 3, 3
# 17 documents: not divisible by the 2 ranks (a DistributedSampler would repeat one). In batches of 3
# that is 6 batches, 3 per rank: ranks 0 and 1 see 9 and 8 documents, every document once.
DOCS = TINY_DOCS * 4 + [TINY_DOCS[1][:4]]
# Metrics from summed counts: DDP gives the very same numbers. Losses are float sums added in another
# order (each rank's sum, then the two added): equal to float32 rounding.
COUNTED = ("val/phrase_f1", "val/phrase_precision", "val/phrase_recall", "val/keyword_acc", "val/keyword_f1",
           "val/position_acc")  # fmt: skip
SUMMED = ("val/loss", "val/loss1", "val/loss2")
DATA = ["--data.embedding_file", "null", "--data.batch_size", BATCH, "--trainer.enable_progress_bar", "false"]
MODEL = ["--model.inputs", "[{words: {dim: 16}}, document]", "--model.network.hidden_size1", "16",
         "--model.network.hidden_size2", "16", "--model.network.dropout", "0",
         "--model.optimizer.lr", "0.02"]  # fmt: skip
# What a launcher or a cluster sets: none of it may leak in from the machine running the tests (under
# SLURM or torchrun Lightning would pick that cluster environment instead of LightningEnvironment).
LAUNCHER = {"MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "GROUP_RANK", "RANK", "LOCAL_RANK", "WORLD_SIZE",
            "LOCAL_WORLD_SIZE"}  # fmt: skip
CLUSTERS = ("SLURM_", "TORCHELASTIC_", "LSB_", "OMPI_", "PMI_")


def _clean_env() -> dict[str, str]:
    env = run_env(WANDB_MODE="disabled")
    return {k: v for k, v in env.items() if k not in LAUNCHER and not k.startswith(CLUSTERS)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_nodes(args: list, root, timeout: float) -> tuple[list[int | None], list[str]]:
    """Start one process per node, wait for all (stop all once one fails); (exit codes, their output)."""
    port, procs, logs = _free_port(), [], []
    for rank in range(NODES):
        (root / f"node{rank}").mkdir()
        logs.append(root / f"node{rank}.log")  # beside, not in, the node's folder: that holds only what it wrote
        env = {**_clean_env(), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "NODE_RANK": str(rank),
               "WORLD_SIZE": str(NODES), "LOCAL_RANK": "0"}  # fmt: skip
        with open(logs[-1], "w") as log:
            cmd = [sys.executable, "-m", CLI, *map(str, args)]
            procs.append(subprocess.Popen(cmd, cwd=root / f"node{rank}", env=env, stdout=log, stderr=log))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and any(p.poll() is None for p in procs):
            if any(p.poll() for p in procs):  # one failed: the others would wait for it in a collective
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    codes = [p.returncode for p in procs]
    codes = [None if code == -9 else code for code in codes]  # None: killed (timed out, or a peer failed)
    return codes, [log.read_text(errors="replace") for log in logs]


def _on_nodes(args: list, root, timeout: float = 300) -> list[str]:
    """``keyword-lightning ARGS`` on NODES nodes of one CPU process each; fails unless all succeed; their logs."""
    args = [*args, "--config", ROOT / "configs/trainer/ddp.yaml", "--trainer.accelerator", "cpu",
            "--trainer.num_nodes", NODES, "--trainer.devices", "1"]  # fmt: skip
    for attempt in range(2):  # a second try only when another program took the free port meanwhile
        codes, logs = _start_nodes(args, root, timeout)
        if codes != [0] * NODES and attempt == 0 and any("address already in use" in t.lower() for t in logs):
            for rank in range(NODES):
                shutil.rmtree(root / f"node{rank}")
            continue
        break
    report = "".join(f"\n----- node {rank}, exit {code} -----\n{log[-4000:]}" for rank, (code, log) in
                     enumerate(zip(codes, logs)))  # fmt: skip
    assert codes == [0] * NODES, (
        f"{args[0]} on {NODES} nodes failed (exit None: killed, at {timeout}s or as a peer failed)" + report
    )
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in logs[1], report  # one world of 2, not two worlds of 1
    return logs


@pytest.fixture()
def odd_corpus(tmp_path):
    from keyword_lightning.prepare import prepare

    conll = write_conll(tmp_path / "odd.txt", DOCS)
    return prepare(train=str(conll), val=str(conll), out=str(tmp_path / "data"))


def test_fit_on_two_nodes_writes_once_and_logs_the_single_process_metrics(odd_corpus, tmp_path):
    recipe = ["--config", ROOT / "configs/inspec.yaml"]
    _on_nodes(
        ["fit", *recipe, "--data.dataset_file", odd_corpus, "--trainer.max_epochs", EPOCHS, *DATA, *MODEL], tmp_path
    )

    node0, node1 = tmp_path / "node0", tmp_path / "node1"
    # Rank 0 writes the run folder; node 1 writes nothing of it.
    assert not [p for p in node1.rglob("*") if p.suffix == ".ckpt" or p.name == METRICS_CSV], list(node1.rglob("*"))
    run = node0 / "runs/version_0"
    assert list(node0.rglob(METRICS_CSV)) == [run / METRICS_CSV]
    ckpts = sorted(p.name for p in node0.rglob("*.ckpt"))
    assert len(ckpts) == 2 and ckpts[0].startswith("best-") and ckpts[1] == "last.ckpt", ckpts  # one per callback
    last = run / "checkpoints/last.ckpt"
    state = torch.load(last, map_location="cpu", weights_only=True)
    # 6 training batches an epoch, 3 on each node: the data was split, not trained twice.
    assert (state["epoch"], state["global_step"]) == (EPOCHS - 1, EPOCHS * 6 // NODES)

    rows = [r for r in metric_rows(run / METRICS_CSV) if "val/phrase_f1" in r]
    fitted = rows[-1]
    assert fitted["epoch"] == state["epoch"]  # the last validation: the weights of last.ckpt

    one = tmp_path / "validate"
    one.mkdir()
    run_cli(["validate", "--ckpt_path", last, "--data.dataset_file", odd_corpus, *DATA, "--trainer.accelerator", "cpu",
             "--trainer.devices", "1", "--trainer.logger", "lightning.pytorch.loggers.CSVLogger",
             "--trainer.logger.save_dir", "logs"], one, env=_clean_env(), timeout=300)  # fmt: skip
    _, single = latest_row(one / "logs", "val/phrase_f1")
    for key in COUNTED:
        assert fitted[key] == single[key], (key, fitted[key], single[key])
    for key in SUMMED:
        assert fitted[key] == pytest.approx(single[key], rel=1e-6, abs=1e-7), key
    assert fitted["val/phrase_f1"] > 0.5  # it learned something: equal zeros would prove little


def test_predict_on_two_nodes_writes_once_into_the_run_folder(tiny_checkpoint, tiny_corpus, tmp_path):
    logs = _on_nodes(["predict", "--ckpt_path", tiny_checkpoint, "--data.dataset_file", tiny_corpus,
                      "--data.predict_split", "test", "--trainer.logger", "lightning.pytorch.loggers.CSVLogger",
                      "--trainer.logger.save_dir", "logs", *DATA], tmp_path)  # fmt: skip
    # Rank 0 gathers and writes into its run folder (found without a broadcast: the others are done).
    written = list(tmp_path.rglob("predictions.jsonl"))
    assert written == [tmp_path / "node0/logs/lightning_logs/version_0/predictions.jsonl"], written
    assert len(written[0].read_text().splitlines()) == 16 and "wrote 16 predictions" in logs[0]
