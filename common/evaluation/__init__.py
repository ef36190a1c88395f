"""The test entry point every experiment shares: reload the .h5, forward pass only, record
the result (``evaluate``).

Imports: ``common.records`` and below; independent of ``common.training``.
"""
