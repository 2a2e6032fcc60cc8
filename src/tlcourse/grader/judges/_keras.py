"""What the judges of the transfer-learning notebooks share: the course backbone, trusted.

A submission's model reaches the judge as JSON config plus weights
(:meth:`tlcourse.grader.judging.Evidence.keras_model`). The only custom layer allowed in it is the
course backbone's ``hub.KerasLayer``, and only with the course handle: :func:`hub_model`
checks every ``KerasLayer`` config before anything is loaded. :func:`published_weights`
and :func:`features` load the published backbone in the judge's own process, so the
frozen base is compared with the published weights and held-out features never come
from the kernel.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterator

import numpy as np

from tlcourse.grader.judging import MAX_ARRAY_BYTES, Evidence, EvidenceError

HUB_CLASS = "KerasLayer"
#: Config keys of a course ``KerasLayer`` that may differ from the defaults (anything else,
#: e.g. ``arguments`` or ``signature``, changes what the backbone computes).
HUB_KEYS = frozenset({"name", "trainable", "dtype", "handle", "batch_input_shape", "output_shape",
                      "output_key", "signature_outputs_as_dict", "load_options"})


def tf():  # type: ignore[no-untyped-def]
    """TensorFlow, imported quietly (``tf.keras`` is ``tf_keras``): the one way judges import it."""
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


def tf_and_hub():  # type: ignore[no-untyped-def]
    """TensorFlow (as :func:`tf`) and ``tensorflow_hub``."""
    tensorflow = tf()
    import tensorflow_hub

    return tensorflow, tensorflow_hub


@contextmanager
def keras3_absent() -> Iterator[None]:
    """While ``hub.KerasLayer`` loads a handle, make ``import keras`` (Keras 3) fail at once.

    ``tensorflow_hub``'s ``load_module`` first tries ``from keras.saving.legacy.saved_model
    import load_context``: with Keras 3 installed this imports all of Keras 3 (about 2 s of
    CPU, once per process) only to fail, and then falls back to TensorFlow's own
    ``load_context``. With ``keras`` marked absent it goes to that same fallback directly, so
    the load options, and what is loaded, are the same. The judge runs ``tf_keras`` and
    never uses Keras 3; outside this block ``import keras`` works as usual.
    """
    if "keras" in sys.modules:
        yield
        return
    sys.modules["keras"] = None  # type: ignore[assignment]  (import keras -> ImportError)
    try:
        yield
    finally:
        if "keras" in sys.modules and sys.modules["keras"] is None:
            del sys.modules["keras"]


def course_handle() -> str:
    """The handle of the course backbone (as the kernel sees it: the same data folder)."""
    from tlcourse import hub

    return hub.backbone_spec().handle


def hub_configs(config: Any) -> list[dict[str, Any]]:
    """Every ``KerasLayer`` config inside a Keras model config, at any depth."""
    found: list[dict[str, Any]] = []
    if isinstance(config, dict):
        if config.get("class_name") == HUB_CLASS:
            found.append(config.get("config") or {})
        for value in config.values():
            found += hub_configs(value)
    elif isinstance(config, list):
        for value in config:
            found += hub_configs(value)
    return found


def check_hub_configs(config: Any) -> list[dict[str, Any]]:
    """The ``KerasLayer`` configs of ``config``; each must load the course backbone as is."""
    layers = hub_configs(config)
    handle = course_handle()
    for layer in layers:
        if layer.get("handle") != handle:
            raise EvidenceError(f"la base debe cargarse desde el handle del curso ({handle}), "
                                f"no desde {str(layer.get('handle'))[:120]}")
        extra = sorted(k for k, v in layer.items() if k not in HUB_KEYS and v not in (None, {}, [], ""))
        if extra or layer.get("output_key") not in (None, ""):
            raise EvidenceError(f"la base del curso no admite más opciones que handle y trainable ({extra})")
    return layers


def hub_model(evidence: Evidence, name: str):  # type: ignore[no-untyped-def]
    """Rebuild ``name``: built-in layers plus the course backbone (handle checked first)."""
    meta = evidence.meta(name)
    if meta.get("kind") != "keras":
        raise EvidenceError("no devolviste un modelo de Keras")
    check_hub_configs(meta.get("config"))
    _, hub = tf_and_hub()
    with keras3_absent():
        return evidence.keras_model(name, custom_objects={HUB_CLASS: hub.KerasLayer})


def keras_config(evidence: Evidence, name: str) -> dict[str, Any]:
    """The config of a recorded model, its course ``KerasLayer`` handles checked."""
    meta = evidence.meta(name)
    if meta.get("kind") != "keras" or not isinstance(meta.get("config"), dict):
        raise EvidenceError("no devolviste un modelo de Keras")
    check_hub_configs(meta["config"])
    return meta["config"]


def raw_weights(evidence: Evidence, name: str) -> list[np.ndarray]:
    """A recorded model's weights in ``get_weights()`` order, read without pickle."""
    path = evidence._file(f"{name}.weights.npz", MAX_ARRAY_BYTES)  # noqa: SLF001  (same checks as keras_model)
    try:
        with np.load(path, allow_pickle=False) as stored:
            return [stored[f"arr_{i}"] for i in range(len(stored.files))]
    except (OSError, ValueError, KeyError) as error:
        raise EvidenceError(f"pesos ilegibles: {type(error).__name__}") from None


def frozen_course_base(config: dict[str, Any], weights: list[np.ndarray]) -> str | None:
    """Why the first ``len(published)`` weights of a model whose first layer is the course
    ``KerasLayer`` are not the frozen published base (None when they are).

    A ``KerasLayer`` with the course handle, ``trainable=False`` and no other option, holding
    the published weights, *is* the published backbone: its outputs, its lack of trainable
    weights and its BatchNormalization statistics (frozen: ``training`` is ignored) follow.
    """
    layers = [l for l in (config.get("config") or {}).get("layers", []) if l.get("class_name") != "InputLayer"]
    if not layers or layers[0].get("class_name") != HUB_CLASS:
        return "la base (modelo.layers[0]) debe ser un hub.KerasLayer"
    if (layers[0].get("config") or {}).get("trainable") is not False:
        return "la base debe estar congelada (trainable=False): sin pesos entrenables"
    published = published_weights()
    if not same_weights(weights[:len(published)], published):
        return "los pesos de la base no son los publicados del backbone del curso"
    return None


def hub_layers(model: Any) -> list[Any]:
    """The ``hub.KerasLayer`` objects of a rebuilt model."""
    from tlcourse.model_checks import hub_layers as find

    return find(model)


@lru_cache(maxsize=1)
def _backbone():  # type: ignore[no-untyped-def]
    """The published backbone as a frozen ``hub.KerasLayer``, loaded once per judge run.

    No Keras model is wrapped around it: :func:`published_weights` needs only its variables
    and :func:`features` calls it directly (a ``predict`` would trace a second function).
    """
    _, hub = tf_and_hub()
    with keras3_absent():
        return hub.KerasLayer(course_handle(), trainable=False)


@lru_cache(maxsize=1)
def _published() -> tuple[np.ndarray, ...]:
    weights = tuple(np.asarray(w) for w in _backbone().get_weights())
    for w in weights:
        w.flags.writeable = False  # shared by every caller of this run: read only
    return weights


def warm_tensorflow() -> None:
    """Import TensorFlow before any evidence exists (the warm-up of judges that need nothing else)."""
    tf()


def warm() -> None:
    """TensorFlow and the published backbone, loaded before any evidence exists (the judge
    starts beside the kernel: :func:`tlcourse.grader.judges.warm`)."""
    _published()


def published_weights() -> list[np.ndarray]:
    """The published backbone's variables, loaded here (never from the kernel), read once."""
    return list(_published())


def same_weights(got: list[Any], expected: list[np.ndarray]) -> bool:
    """Same number of arrays, each of the same shape and values."""
    return len(got) == len(expected) and all(
        np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a), b) for a, b in zip(got, expected))


def to_backbone_input(images: np.ndarray) -> np.ndarray:
    """The judge's own preprocessing: uint8 32x32 grey -> float32 [0, 1], three channels."""
    return np.repeat((np.asarray(images).astype(np.float32) / 255.0)[..., np.newaxis], 3, axis=-1)


def features(images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Features of the published backbone for 32x32 uint8 images, computed in the judge."""
    return features_of_inputs(to_backbone_input(images), batch_size)


def features_of_inputs(inputs: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Features of the published backbone for inputs already in its convention (float32
    ``(n, 32, 32, 3)`` in [0, 1]), computed in the judge by calling the frozen layer directly."""
    x = np.asarray(inputs, dtype=np.float32)
    layer = _backbone()
    return np.concatenate([np.asarray(layer(x[i:i + batch_size], training=False))
                           for i in range(0, len(x), batch_size)])


#: Images per batch when a judge runs a whole model over held-out data. Measured on the course
#: backbone (32x32 inputs, 2 cores): batches of 128-250 cost about a third less CPU than 500,
#: whose activations no longer fit in the processor's caches.
PREDICT_BATCH = 250


def predict(model: Any, inputs: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """``model``'s outputs in inference mode (``training=False``) for float32 ``inputs``.

    One ``tf.function`` traced once for any batch size (what ``model.predict`` computes
    without its data pipeline and callbacks, which cost about 0.5 s of CPU per call), run on
    batches of ``batch_size``.
    """
    tensorflow = tf()
    x = np.asarray(inputs, dtype=np.float32)
    signature = [tensorflow.TensorSpec((None, *x.shape[1:]), tensorflow.float32)]
    call = tensorflow.function(lambda batch: model(batch, training=False), input_signature=signature)
    return np.concatenate([np.asarray(call(x[i:i + batch_size])) for i in range(0, len(x), batch_size)])
