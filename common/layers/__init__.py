"""Keras pieces a recipe is built from: augmentation layers that compile on every backend
(``augmentation``), the speed layers that replace a stock one by subclassing it
(``fast_dropout``, ``fused_batchnorm``), patch whitening (``whitening``), the Lookahead
optimizer (``lookahead``) and the optimizers and schedules a recipe names (``optim``).

Imports: ``common.basics``.
"""
