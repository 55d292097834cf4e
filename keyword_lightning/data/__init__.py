"""Data: file formats, embeddings, the DataModule with ``collate_fun2`` and the bucket sampler."""

__all__ = ["KeywordDataModule", "collate_fun2"]


def __getattr__(name: str):
    # Lazy: the file-format modules must not pull in Lightning (keeps the prepare CLI fast).
    if name in __all__:
        from keyword_lightning.data import datamodule

        return getattr(datamodule, name)
    raise AttributeError(f"module 'keyword_lightning.data' has no attribute {name!r}")
