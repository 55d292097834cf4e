"""Inference: ``KeywordExtractor`` (``extractor.py``) and the prediction records, their stitching and formats."""
