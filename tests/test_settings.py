"""The model's settings in groups (``model/settings.py``, ``inputs/registry.py``): ``JointRNN``'s few
arguments, checkpoints with plain nested settings, one path from a checkpoint to a network, and the
flat settings of earlier releases (their checkpoints load; their config keys fail in one line)."""

from __future__ import annotations

import inspect
import json
import re

import pytest
import torch

from keyword_lightning.inputs.registry import SettingsError, input_configs
from keyword_lightning.model.network import DRNN, NetworkConfig
from keyword_lightning.model.settings import FLAT_KEYS, ModelSettings, unflatten
from tests.conftest import ROOT, run_cli

# A flat checkpoint's hyperparameters as an earlier release stored them, and the same settings nested.
FLAT = {
    "vocab_size": 30, "freeze_embeddings": True, "embedding_dim": 4, "hidden_size1": 3, "hidden_size2": 5,
    "cell": "gru", "bidirectional": False, "dropout": 0.1, "locked_dropout": True, "word_dropout": 0.2,
    "context_window": 3, "char_dim": 6, "char_channels": 7, "doc_features": False, "repeat_features": True,
    "crf": True, "alpha": 0.3, "lr": 0.01, "weight_decay": 0.001, "decoder": "argmax", "fusion_weight": 0.5,
    "sequence_mode": "padded", "encoder": None, "trainable_words": 20, "_instantiator": "x",
}  # fmt: skip
NESTED = {
    "network": {"hidden_size1": 3, "hidden_size2": 5, "cell": "gru", "bidirectional": False, "dropout": 0.1,
                "locked_dropout": True, "crf": True, "sequence_mode": "padded"},
    "inputs": [{"words": {"dim": 4, "context_window": 3, "freeze": True, "word_dropout": 0.2}},
               {"chars": {"dim": 6, "channels": 7}}, {"document": {"doc_features": False, "repeat_features": True}}],
    "loss": {"alpha": 0.3}, "optimizer": {"lr": 0.01, "weight_decay": 0.001},
    "decoding": {"decoder": "argmax", "fusion_weight": 0.5},
}  # fmt: skip


def test_joint_rnn_takes_groups_of_settings_not_flat_arguments():
    from keyword_lightning import JointRNN

    parameters = inspect.signature(JointRNN.__init__).parameters
    assert len(parameters) <= 12, list(parameters)
    assert list(parameters)[1:6] == ["network", "inputs", "loss", "optimizer", "decoding"]
    assert not set(parameters) & (set(FLAT_KEYS) - {"vocab_size"})


def test_flat_settings_of_earlier_releases_read_as_the_nested_ones():
    assert set(FLAT) - {"trainable_words", "_instantiator"} == set(FLAT_KEYS)  # every flat key is covered
    assert ModelSettings.from_hparams(FLAT) == ModelSettings.from_hparams(NESTED) == ModelSettings.of(**NESTED)
    assert ModelSettings.from_hparams(NESTED).hparams()["loss"] == {"alpha": 0.3}
    # An earlier release's defaults: no chars (char_dim 0), no document input, 300-wide words.
    plain = ModelSettings.from_hparams({"hidden_size1": 8, "char_dim": 0, "doc_features": False})
    assert list(plain.inputs) == ["words"] and plain.inputs["words"].dim == 300
    assert unflatten({"encoder": {"name_or_path": "m", "layers": 2}})["inputs"][-1] == {
        "transformer": {"name_or_path": "m", "layers": 2}
    }


def test_inputs_are_a_list_of_names_or_name_settings_pairs():
    configs = input_configs(["document", {"words": {"dim": 8}}, {"chars": None}])
    assert list(configs) == ["words", "chars", "document"]  # the concatenation order, whatever the list's
    assert configs["words"].dim == 8 and configs["chars"].channels == 50 and configs["document"].doc_features
    for spec, message in [
        (["words", "gazetteer"], "unknown input 'gazetteer' \\(known: words, chars, document, transformer\\)"),
        (["words", "words"], "'words' is listed twice"),
        ([{"words": {"size": 3}}], "words has no setting size \\(known: dim, context_window"),
        (["chars"], "must list words"),
        ([{"words": 3}], "settings of 'words' must be a mapping"),
        ([{"words": {}, "chars": {}}], "each entry is a name or"),
    ]:
        with pytest.raises(SettingsError, match=message):
            input_configs(spec)
    with pytest.raises(SettingsError, match="model.inputs: words: context_window must be odd"):
        DRNN(NetworkConfig(), [{"words": {"context_window": 2}}], 10)
    with pytest.raises(SettingsError, match="model.loss: alpha must be in"):
        ModelSettings.of(loss={"alpha": 2})
    with pytest.raises(SettingsError, match="model.network has no setting hidden"):
        ModelSettings.of(network={"hidden": 2})


def test_checkpoints_hold_plain_nested_settings_and_load_back(tiny_checkpoint):
    from keyword_lightning import JointRNN

    stored = torch.load(tiny_checkpoint, weights_only=True)["hyper_parameters"]
    assert stored["inputs"] == [{"words": {"dim": 16, "context_window": 1, "freeze": False, "word_dropout": 0.0}}]
    assert stored["network"]["hidden_size1"] == 16 and stored["optimizer"]["lr"] == 0.02
    assert not set(stored) & set(FLAT_KEYS)
    model = JointRNN.load_from_checkpoint(tiny_checkpoint, map_location="cpu", weights_only=True)
    assert model.settings == ModelSettings.from_hparams(stored) and model.net.vocab_size == len(model.vocabulary)


def test_one_path_from_settings_to_a_network():
    """``DRNN`` is built in one place (``model/settings.py``), which the module, the CLI and the extractor use."""
    built = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "keyword_lightning").rglob("*.py")
        if re.search(r"(?<!class )\bDRNN\(", path.read_text(encoding="utf-8"))
    }
    assert built == {"keyword_lightning/model/settings.py"}


def _flat_copy(path, out):
    """``path`` as an earlier release saved it: flat hyperparameters, heads named head1/head2."""
    ckpt = torch.load(path, weights_only=True)
    h = ckpt["hyper_parameters"]
    flat = {"vocab_size": 0, **{k: v for k, v in h["network"].items()}, **h["loss"], **h["optimizer"],
            **h["decoding"], "embedding_dim": h["inputs"][0]["words"]["dim"], "char_dim": 0, "doc_features": False,
            "encoder": None, "trainable_words": h.get("trainable_words")}  # fmt: skip
    ckpt["hyper_parameters"] = flat
    ckpt["state_dict"] = {
        k.replace("net.keyword_head.", "net.head1.").replace("net.position_head.", "net.head2."): v
        for k, v in ckpt["state_dict"].items()
    }
    torch.save(ckpt, out)
    return out


def test_a_flat_checkpoint_predicts_as_before_through_the_cli_and_the_extractor(tiny_checkpoint, tmp_path):
    from keyword_lightning.inference.extractor import KeywordExtractor

    old = _flat_copy(tiny_checkpoint, tmp_path / "old.ckpt")
    texts = ["graph theory of neural networks", "keyphrase extraction with a two head tagger"]
    new_records = KeywordExtractor.from_checkpoint(tiny_checkpoint, threads=0).predict(texts)
    assert KeywordExtractor.from_checkpoint(old, threads=0).predict(texts) == new_records
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n")
    outputs = []
    for ckpt in (tiny_checkpoint, old):
        args = ["predict", "--ckpt_path", str(ckpt), "--data.predict_file", str(source),
                "--trainer.callbacks.output_path", "-"]  # fmt: skip
        done = run_cli(args, tmp_path)
        outputs.append([json.loads(line) for line in done.stdout.splitlines()])
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2
    # Lightning's own loading (plain Python): the network the flat settings describe, with its weights.
    from keyword_lightning import JointRNN

    loaded = JointRNN.load_from_checkpoint(old, map_location="cpu", weights_only=True)
    assert loaded.settings == JointRNN.load_from_checkpoint(tiny_checkpoint, map_location="cpu").settings
    assert KeywordExtractor.from_model(loaded, threads=0).predict(texts) == new_records


@pytest.mark.parametrize(
    "args, note",
    [
        (["--model.hidden_size1", "8"], "model.hidden_size1 is now model.network.hidden_size1"),
        (["--model.char_dim", "8"], "model.char_dim is now dim of chars in model.inputs"),
        (["--config", "OLD"], "model.lr is now model.optimizer.lr"),
    ],
)
def test_a_flat_config_key_fails_in_one_line_naming_the_new_one(args, note, tmp_path):
    old = tmp_path / "old.yaml"
    old.write_text("model:\n  lr: 0.01\n")
    done = run_cli(["fit", *[str(old) if a == "OLD" else a for a in args], "--print_config"], tmp_path, check=False)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and note in lines[0], done.stderr


def test_bad_inputs_on_the_command_line_fail_in_one_line(tiny_corpus, tmp_path):
    args = ["fit", "--data.dataset_file", str(tiny_corpus), "--model.inputs", "[words, {chars: {dimm: 3}}]",
            "--trainer.max_epochs", "1", "--trainer.logger", "false"]  # fmt: skip
    done = run_cli(args, tmp_path, check=False)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2 and "chars has no setting dimm" in last, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
