"""``python -m keyword_lightning.serve``: the same as ``keyword-lightning serve``."""

from keyword_lightning.serve.api import main

main()
