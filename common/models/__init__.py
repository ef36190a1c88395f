"""A network as a whole: the number format it computes in (``precision``), its placement on
this machine's devices (``devices``), the copy made for computing (``training_copy``), its
FLOPs (``flops``) and the averaged ensemble as one plain-Keras model (``ensemble``).

Imports: ``common.layers``, ``common.basics``.
"""
