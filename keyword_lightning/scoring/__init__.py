"""Scoring: ranked keyphrases and their F1@k (``ranking.py``), the torchmetrics logged in training (``metrics.py``)."""
