"""Training: the train entry point every experiment shares (``train``), its backups and
resume (``checkpoints``), the callbacks that watch it (``callbacks``), several steps per
compiled call (``fused_steps``), what a GPU recipe costs on a CPU (``budget``), and the
variants of the entry point: ensembles (``ensembles``), transfer learning (``transfer``)
and XOR (``xor``).

Imports: ``common.records`` and below.
"""
