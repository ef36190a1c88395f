"""Tools that know nothing of Keras recipes or experiments: errors a user can fix
(``errors``), atomic file writes (``files``), the project's folders (``paths``),
command-line options from dataclasses (``options``), the commit and command line
(``provenance``), the machine and library versions (``hardware``), Markdown tables
(``markdown``) and figures (``plots``).

Imports: the standard library, NumPy, Keras and matplotlib only; nothing else of ``common``.
"""
