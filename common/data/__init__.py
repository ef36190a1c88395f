"""The datasets and the input pipeline: each dataset described once (``datasets``), where its
arrays come from (``sources``: the Keras download, an ``.npz``, a folder or archive), loading
them checked against the description (``loading``), naming a copy by its content
(``identity``), and the batches training reads, reshuffled and augmented per epoch
(``pipeline``).

Imports: ``common.basics``.
"""
