"""The comparison as people read it, built from the run records alone: the rows
(``collect``, ``row``), the Markdown sections and charts (``report``, ``runs``,
``backends``, ``details``, ``devices``, ``recipes``, ``lessons``) and the series' timings
(``series``).

Imports: ``common.scratch`` (its charts), ``common.records`` and below; never training.
"""
