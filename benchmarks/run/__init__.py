"""A run: its settings, its plan of cells, the executors and workers that run the cells, the
stages of a cell, the judge, and the results assembled from the run folder's pieces.

Reading order: ``settings`` (what a user can set) -> ``plan`` (the cells, resolved once) ->
``harness`` (runs a plan through an ``executors`` Executor) -> ``worker`` (one task) -> ``stages``
and ``throughput`` (one cell) and ``judge`` -> ``results``. ``ray_executor`` (the driver) and
``ray_tasks`` (on the nodes) run the same tasks on a Ray cluster. ``layout`` names every file,
piece, pseudo-cell and exit code; ``store``, ``lock`` and ``model_cache`` keep what is computed safe.
"""
