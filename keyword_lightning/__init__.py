"""keyword-lightning: a two-head RNN keyphrase extractor, trained and served with Lightning."""

__version__ = "0.1.0"

__all__ = ["JointRNN", "KeywordDataModule", "KeywordExtractor", "__version__"]


def __getattr__(name: str):
    # Lazy, so that `keyword-lightning-prepare` and `import keyword_lightning.tagging` stay light.
    if name == "JointRNN":
        from keyword_lightning.model import JointRNN

        return JointRNN
    if name == "KeywordDataModule":
        from keyword_lightning.data import KeywordDataModule

        return KeywordDataModule
    if name == "KeywordExtractor":
        from keyword_lightning.inference.extractor import KeywordExtractor

        return KeywordExtractor
    raise AttributeError(f"module 'keyword_lightning' has no attribute {name!r}")
