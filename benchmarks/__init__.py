"""The benchmarks: measurements of this project, each a module run from the repository root.

    python -m benchmarks.compare --help
    python -m benchmarks.accuracy --recipes default --seeds 42

Scripts (a ``main`` run by ``python -m benchmarks.NAME``) write their tables to
``benchmarks/results/``; they import the shared pieces, never each other's functions:
``common.py`` (the data folder, the corpora of the ranking benchmarks, running the CLI, the
results header, writing results), ``scoring.py`` (the one reference scorer), ``gold.py`` and
``corpora.py`` (reading gold keyphrases and corpora), ``project.py`` (this project fitted and run
as a benchmark row), ``peers.py`` and ``tfidf_ranker.py`` (the tools compared against),
``synthetic.py`` (Inspec-shaped synthetic corpora), ``serve_load.py``, ``throughput_worker.py``
and ``ppmi_vectors.py`` (the helpers of one script each). ``docs/layout.md`` lists every file.
"""
