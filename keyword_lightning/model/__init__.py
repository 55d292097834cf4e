"""The network (``DRNN``, ``NetworkConfig``) and its LightningModule (``JointRNN``)."""

__all__ = ["DRNN", "JointRNN", "NetworkConfig"]


def __getattr__(name: str):
    # Lazy: the network needs torch only; the LightningModule pulls in Lightning.
    if name == "JointRNN":
        from keyword_lightning.model.module import JointRNN

        return JointRNN
    if name in ("DRNN", "NetworkConfig"):
        from keyword_lightning.model import network

        return getattr(network, name)
    raise AttributeError(f"module 'keyword_lightning.model' has no attribute {name!r}")
