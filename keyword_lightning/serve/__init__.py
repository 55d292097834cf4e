"""``keyword-lightning serve``: the LitServe API (``api.py``), HTTP details (``http.py``), the batching loop, requests.

Run with ``keyword-lightning serve ...`` or ``python -m keyword_lightning.serve ...``; needs the ``serve`` extra.
"""
