"""Loading a Hugging Face encoder and its tokenizer: pretrained, or rebuilt from a checkpoint's files.

``transformers`` is an optional extra, imported here only when a model asks for an encoder.
"""

from __future__ import annotations

import importlib.metadata
import tempfile
import zipfile
from pathlib import Path
from typing import Any

INSTALL = "pip install 'keyword-lightning[transformers]'"


class TransformerError(ValueError):
    """An encoder that cannot be loaded or a setting it cannot take."""


def _transformers():
    try:
        import transformers
    except ImportError:
        raise TransformerError(f"a transformer encoder needs the transformers package: {INSTALL}") from None
    transformers.logging.set_verbosity_error()  # "some weights were not used" (the pooler) is expected
    transformers.logging.disable_progress_bar()  # a bar per load: noise in logs and test output
    return transformers


def _distribution_zip(name: str) -> Path | None:
    """``model.zip`` shipped by the installed distribution ``name``, read as data (its module is never imported)."""
    try:
        files = importlib.metadata.files(name) or []
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
    found = [f for f in files if f.name == "model.zip"]
    return Path(found[0].locate()) if found else None


def _read_folder(folder: Path) -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a local model folder."""
    hf = _transformers()
    tokenizer = hf.AutoTokenizer.from_pretrained(folder)
    model = hf.AutoModel.from_pretrained(folder)
    return model, tokenizer


def load_pretrained(name_or_path: str) -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a folder, a zip, a distribution's ``model.zip`` or the Hub."""
    path = Path(name_or_path).expanduser()
    zipped = path if path.is_file() and path.suffix == ".zip" else None
    if not path.exists():
        zipped = _distribution_zip(name_or_path)
    try:
        if path.is_dir():
            return _read_folder(path)
        if zipped is not None:
            with tempfile.TemporaryDirectory(prefix="encoder-") as folder, zipfile.ZipFile(zipped) as archive:
                archive.extractall(folder)
                return _read_folder(Path(folder))
        hf = _transformers()
        return hf.AutoModel.from_pretrained(name_or_path), hf.AutoTokenizer.from_pretrained(name_or_path)
    except TransformerError:
        raise
    except Exception as err:  # OSError, ValueError, network errors: one line naming the source
        raise TransformerError(
            f"cannot load transformer {name_or_path!r}: {type(err).__name__}: {str(err)[:200]}"
        ) from None


def load_from_files(files: dict[str, str]) -> tuple[Any, Any]:
    """``(model, tokenizer)`` rebuilt from a checkpoint's text files; the weights come from its state dict."""
    hf = _transformers()
    with tempfile.TemporaryDirectory(prefix="encoder-") as folder:
        for name, text in files.items():
            if Path(name).name != name:
                raise TransformerError(f"checkpoint transformer file name {name!r} is not a plain file name")
            (Path(folder) / name).write_text(text, encoding="utf-8")
        tokenizer = hf.AutoTokenizer.from_pretrained(folder)
        model = hf.AutoModel.from_config(hf.AutoConfig.from_pretrained(folder))
    return model, tokenizer
