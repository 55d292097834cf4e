"""Data: file formats, encoding and vocabulary, the DataModule with ``collate_fun2``, the bucket sampler."""

__all__ = ["KeywordDataModule", "collate_fun2"]


def __getattr__(name: str):
    # Lazy: only the DataModule pulls in Lightning (the prepare CLI and the extractor stay light).
    if name == "KeywordDataModule":
        from keyword_lightning.data.datamodule import KeywordDataModule

        return KeywordDataModule
    if name == "collate_fun2":
        from keyword_lightning.data.batch import collate_fun2

        return collate_fun2
    raise AttributeError(f"module 'keyword_lightning.data' has no attribute {name!r}")
