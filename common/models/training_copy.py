"""Copies of a stock Keras model made for computing, never for saving.

``training_copy`` computes in the run's precision and swaps in the speed-up layers
(``FusedBatchNormalization``, ``FastDropout``: subclasses of the layers they replace);
``inference_copy`` does the same for a forward pass, keeping the output layer in float32.
Both are made with ``keras.models.clone_model`` and hold the same variable values as the
original (weights, BatchNormalization statistics, Dropout seed states), so the stock model,
which is what gets saved, takes the trained values back with ``set_weights``.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from common.layers.fast_dropout import FastDropout, fast_kernel_available
from common.layers.fused_batchnorm import FusedBatchNormalization, fused_kernel_available

# stock class -> (the record's name for it, the faster subclass's name, the subclass,
# whether this backend can run it)
SPEEDUPS: dict[type, tuple[str, str, type, Callable[[], bool]]] = {
    keras.layers.BatchNormalization: ("batchnorm", "fused", FusedBatchNormalization,
                                      fused_kernel_available),
    keras.layers.Dropout: ("dropout", "16-bit", FastDropout, fast_kernel_available),
}


def training_copy(model: keras.Model, policy: str = "float32", fused_bn: bool = True,
                  fast_dropout: bool = True) -> tuple[keras.Model, dict[str, str]]:
    """``model`` as it trains: every layer but the output computes in ``policy`` (mixed
    precision keeps float32 weights); BatchNormalization (``fused_bn``) and Dropout
    (``fast_dropout``) become their faster subclasses where this backend runs them.

    The output layer stays float32, as Keras' mixed-precision guide asks: a float16 softmax
    rounds small probabilities to a few representable values, and on JAX and PyTorch the
    cross-entropy's gradient 1/p then overflows float16 (exp04 on PyTorch: NaN weights by
    batch 7). TensorFlow hid it: its cross-entropy reads the softmax's logits instead.

    Returns the copy and what it uses, for the run record: {"batchnorm": "fused" | "keras"
    | "none", "dropout": "16-bit" | "keras" | "none"}.
    """
    swap = ((keras.layers.BatchNormalization,) if fused_bn else ()) + (
        (keras.layers.Dropout,) if fast_dropout else ())
    outputs = _output_names(model)
    return _copy(model, lambda layer: "float32" if layer.name in outputs else policy, swap)


def inference_copy(model: keras.Model, policy: str = "float32",
                   fused_bn: bool = True) -> keras.Model:
    """``model`` for a fast forward pass: the layers compute in ``policy`` except the
    output layer (probabilities keep float32), BatchNormalization on the fused kernel.
    ``model`` itself when that changes nothing."""
    swap = (keras.layers.BatchNormalization,) if fused_bn and fused_kernel_available() else ()
    if policy == "float32" and not any(type(layer) in swap for layer in model.layers):
        return model
    outputs = _output_names(model)
    copy, _ = _copy(model, lambda layer: "float32" if layer.name in outputs else policy, swap)
    return copy


def _copy(model: keras.Model, policy_of: Callable[[keras.layers.Layer], str],
          swap: tuple[type, ...]) -> tuple[keras.Model, dict[str, str]]:
    used = {record_name: "none" for record_name, *_ in SPEEDUPS.values()}

    def clone(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if policy_of(layer) != "float32" and "dtype" in config:
            config["dtype"] = policy_of(layer)
        cls = type(layer)
        if cls in SPEEDUPS:
            record_name, fast_name, fast_cls, available = SPEEDUPS[cls]
            fast = cls in swap and available()
            cls, used[record_name] = (fast_cls, fast_name) if fast else (cls, "keras")
        return cls.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    for source, target in zip(model.layers, copy.layers, strict=True):
        for value, variable in zip(source.variables, target.variables, strict=True):
            # a copy, not the same buffer: JAX's compiled train step donates (frees) the
            # copy's buffers, which would leave the original's variables deleted
            variable.assign(keras.ops.convert_to_numpy(value))
    return copy, used


def _output_names(model: keras.Model) -> set[str]:
    config = model.get_config()
    # Functional: [name, 0, 0] or a list of those; Sequential: its last layer.
    outputs = config.get("output_layers") or [config["layers"][-1]["config"]["name"]]
    return {outputs[0]} if isinstance(outputs[0], str) else {o[0] for o in outputs}
