"""Benchmark: the slides' way against ours, same model, same data, same machine, one run.

    python -m common.bench                       # every experiment
    python -m common.bench --experiments exp01_baseline --images 3200

For each experiment it measures, as the best of three timings after a warm-up (training:
three epochs timed inside one ``fit`` call, as training sees them):

* training images/s - the slides' way: ``model.fit`` on float32 NumPy arrays, batch 32, and
  for augmentation ``tf.keras.preprocessing.image.ImageDataGenerator(...).flow``; ours: the
  project's training path (``common.training.train``) with the experiment's own settings;
* inference images/s on the 10,000 test images - the slides' ``predict`` at its default
  batch 32; ours: ``common.evaluation.evaluate.evaluate``;
* model FLOPs utilisation: counted training FLOPs (3 x the forward pass's multiply-adds x 2)
  per second, divided by this machine's fp32 matrix-multiply rate measured in the same run.

Writes ``results/bench/bench-<time>.json`` and ``results/bench/README.md``. Modules:
``measure`` (FLOPs, rates, timings), ``ways`` (the slides' way and ours), ``runs`` (a
benchmark and a sweep), ``report`` (the tables), ``__main__`` (the command line).
"""

