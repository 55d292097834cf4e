"""``keyword-lightning extract``: a corpus in, sharded records out, resumable, on one machine or on Ray.

``sources.py`` splits the input into units (the same units on every run), ``unit_documents.py`` reads a
unit's documents, ``worker.py`` tags a unit and writes its shard (the one worker of both engines),
``shards.py`` the output folder (atomic shards, per-unit records, errors, manifest),
``local.py`` and ``ray_engine.py`` the two engines, ``progress.py`` the progress line and
``extract.py`` the command; ``options.py`` (``ExtractOptions``) and ``results.py`` (``UnitDone``,
``UnitFailed``, ``DocumentError``) are the typed records that pass between them. Ray is an
optional extra (``pip install -e '.[ray]'``).
"""
