"""The network (``DRNN``) and its LightningModule (``JointRNN``)."""

from keyword_lightning.model.module import JointRNN
from keyword_lightning.model.network import DRNN

__all__ = ["DRNN", "JointRNN"]
