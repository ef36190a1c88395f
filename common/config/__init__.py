"""What a run is: an experiment's recipe and a run's options (``settings``: every field
declared once, with its help and what it means for a run) and the experiments, found by
name in ``experiments/`` (``registry``).

Imports: ``common.models``, ``common.data``, ``common.layers``, ``common.basics``.
"""
