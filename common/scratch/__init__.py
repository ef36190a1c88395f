"""Deep learning from scratch in NumPy, as the decks teach it (after the book *Deep Learning
from Scratch*): layers as classes with ``forward`` and ``backward``, convolution and pooling
through im2col, the optimizers, initial weights, a numerical gradient checker, and the
networks built from them.

Modules: ``functions`` (softmax, cross-entropy), ``layers`` (Affine, ReLU, Sigmoid, Dropout,
BatchNormalization, SoftmaxWithLoss), ``conv`` (im2col, Convolution, MaxPooling),
``optimizers``, ``weights`` (std, Xavier, He), ``gradient_check``, ``parallel`` (work in
parts on every core), ``network`` (a stack of layers; a training step gives each core its
part of the batch), ``models`` (the builder and the
multi-layer network); ``recipe`` (a run's settings), ``keras_io`` (a trained network as a
stock Keras .h5 and back), ``training`` (the entry points), ``profile`` (where a step's
milliseconds go) and ``charts`` (the lessons' pictures) join it to the project.

Layering: the library itself imports NumPy only (and threadpoolctl, to hold BLAS to one
thread), never Keras or the rest of ``common``; ``recipe``, ``keras_io``, ``training``,
``profile`` and ``charts`` may import both.
"""
