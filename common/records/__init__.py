"""What a run leaves behind: run records written and read (``store``), older records read as
today's (``upgrade``), what makes two runs one recipe (``recipes``), the .h5 files
(``model_io``) and a finished run's files (``export``).

Imports: ``common.config`` and below; never training or reports.
"""
