"""What the network reads of each token, one module per input (flair's ``TokenEmbeddings`` is the model).

    words        word ids -> embedding rows (random or GloVe), in a context window   ``words.py``
    chars        hashed characters -> a character CNN                               ``chars.py``
    document     document and repeat statistics of each token                         ``document.py``
    transformer  a pretrained transformer's word vectors (pieces, windows, cache)     ``transformer.py``

Each is an ``inputs.base.Input``: its settings (``Config``, a frozen dataclass), a data side
(``encoding()``, ``attach()``: what the encoding computes for it and what is cached) and a model side
(``forward(batch)`` -> [B,T,width]). A config lists them (``model.inputs``, ``registry.py``); ``DRNN``
concatenates what they give, in their ``order``. Adding an input is one module: an ``Input``
subclass that declares its ``name``, ``Config``, ``order``, ``build_order`` and ``build``; defined
in this package it is found, defined elsewhere it is known once its module is imported.
"""
