"""Deep learning from scratch in NumPy, as the decks teach it (after the book *Deep Learning
from Scratch*): layers as classes with ``forward`` and ``backward``, convolution and pooling
through im2col, the optimizers, initial weights, a numerical gradient checker, and the
networks built from them.

Modules: ``functions`` (softmax, cross-entropy), ``layers`` (Affine, ReLU, Sigmoid, Dropout,
BatchNormalization, SoftmaxWithLoss), ``conv`` (im2col, Convolution, MaxPooling),
``optimizers``, ``weights`` (std, Xavier, He), ``gradient_check``, ``network`` (a stack of
layers), ``models`` (the decks' networks by name); ``keras_io`` (a trained network as a
stock Keras .h5 and back) and ``training`` (the entry points) join it to the project.

Layering: everything but ``keras_io`` and ``training`` imports NumPy only, never Keras or
another ``common`` package; those two may import the rest of ``common``.
"""
