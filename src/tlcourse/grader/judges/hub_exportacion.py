"""Exercise 3 of 05_tensorflow_hub's judge: the exported SavedModel, judged outside the kernel.

The probe sends the bytes of every file under ``CARPETA_EXPORTACION`` and ``clasificador``
as config plus weights. Here the files are written to a private temporary folder and loaded
with ``tf.saved_model.load`` / ``hub.KerasLayer`` (a TF2 SavedModel is a graph: loading it runs
no Python from the submission). The reference predictions come from ``clasificador`` rebuilt
with built-in layers and the course backbone's ``KerasLayer`` (its handle must name the course
backbone, and its weights must be the published ones), on held-out images drawn for this run.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from tlcourse import contract as _c
from tlcourse.grader.judging import Evidence, EvidenceError, check_classes
from tlcourse.grader.judges._keras import hub_configs, keras3_absent, predict, tf_and_hub
from tlcourse.grader.judges.hub_uso import EXPORT_SAMPLE, MIN_ACCURACY
from tlcourse.grader.hidden_test_helpers import accuracy


def _safe_relative(name: Any) -> PurePosixPath:
    path = PurePosixPath(str(name))
    if not str(name) or path.is_absolute() or ".." in path.parts:
        raise EvidenceError("la evidencia de la exportación tiene rutas no válidas")
    return path


@functools.lru_cache(maxsize=2)
def export_copy(folder: str) -> tuple[Path, frozenset[str]]:
    """The exported files rewritten into a private folder; also the relative paths found."""
    evidence = Evidence(Path(folder))
    index = evidence.value("ej3_exportado")
    if not isinstance(index, dict) or not isinstance(index.get("archivos"), list):
        raise EvidenceError("la evidencia de la exportación está mal formada")
    target = Path(tempfile.mkdtemp(prefix="tlc_juez_export_"))
    for folder_name in index.get("carpetas") or []:
        (target / _safe_relative(folder_name)).mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(index["archivos"]):
        data = evidence.value(f"ej3_archivo{i}")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 1:
            raise EvidenceError("la evidencia de la exportación está mal formada")
        path = target / _safe_relative(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.tobytes())
    found = frozenset(str(_safe_relative(n)) for n in [*index["archivos"], *(index.get("carpetas") or [])])
    return target, found


def held_out(reto: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Held-out target images drawn for this run, as the backbone's input, and their labels."""
    return _held_out(int(reto["ej3_semilla"]))


@functools.lru_cache(maxsize=2)
def _held_out(seed: int) -> tuple[np.ndarray, np.ndarray]:
    from tlcourse import data

    images, labels = data.load_task("target", "test")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(labels), size=EXPORT_SAMPLE, replace=False))
    grey = images[chosen].astype("float32")[..., None] / 255
    return np.concatenate([grey, grey, grey], axis=-1), np.asarray(labels)[chosen]


def _course_handle(handle: Any) -> bool:
    """A handle naming the course backbone: its local folder or a classroom server's URL."""
    tail = str(handle).rstrip("/").split("/")[-2:]
    return tail == [_c.MODEL_NAME, _c.MODEL_VERSION]


@functools.lru_cache(maxsize=2)
def rebuild_classifier(folder: str):  # type: ignore[no-untyped-def]
    """``clasificador`` rebuilt; the backbone from the published files, compared weight by weight."""
    import json

    from tlcourse.hub import local_handle

    evidence = Evidence(Path(folder))
    meta = evidence.meta("ej3_clasificador")
    if meta["kind"] != "keras":
        raise EvidenceError("`clasificador` no es un modelo de Keras")
    config = meta["config"]
    check_classes(config, {"KerasLayer"})
    backbones = hub_configs(config)  # the KerasLayer configs, as dicts inside ``config``
    if len(backbones) != 1 or not _course_handle(backbones[0].get("handle")):
        raise EvidenceError("`clasificador` debe usar el backbone del curso (una sola capa hub.KerasLayer)")
    backbones[0]["handle"] = local_handle()
    tf, hub = tf_and_hub()
    try:
        with keras3_absent():
            model = tf.keras.models.model_from_json(json.dumps(config), custom_objects={"KerasLayer": hub.KerasLayer})
        layer = next(layer for layer in model.layers if isinstance(layer, hub.KerasLayer))
        published = {v.name: v.numpy() for v in layer.weights}  # just loaded from the course's files
        with np.load(evidence._file("ej3_clasificador.weights.npz", 200_000_000), allow_pickle=False) as stored:
            model.set_weights([stored[f"arr_{i}"] for i in range(len(stored.files))])
    except Exception as error:  # noqa: BLE001
        raise EvidenceError(f"no se pudo reconstruir `clasificador`: {type(error).__name__}") from None
    mine = {v.name: v.numpy() for v in layer.weights}
    if not published or mine.keys() != published.keys() or not all(
            np.array_equal(mine[name], value) for name, value in published.items()):
        raise EvidenceError("el backbone de `clasificador` no es el publicado")
    return model


@functools.lru_cache(maxsize=2)
def _reference(folder: str, seed: int) -> np.ndarray:
    """``clasificador``'s predictions on this run's held-out images."""
    x, _ = held_out({"ej3_semilla": np.array(seed)})
    return predict(rebuild_classifier(folder), x)


@functools.lru_cache(maxsize=2)
def _load_export(folder: str):  # type: ignore[no-untyped-def]
    """The exported SavedModel, loaded once (``tf.saved_model.load``: a graph, no Python)."""
    _, hub = tf_and_hub()
    return hub.load(folder)


@functools.lru_cache(maxsize=2)
def _held_out_predictions(folder: str, seed: int) -> np.ndarray:
    """The exported model's predictions on this run's held-out images, through ``hub.KerasLayer``."""
    _, hub = tf_and_hub()
    layer = hub.KerasLayer(_load_export(folder), trainable=False)
    x, _ = held_out({"ej3_semilla": np.array(seed)})
    return np.asarray(layer(x))


def check(evidence: Evidence, reto: dict[str, np.ndarray], reusable: bool) -> str | None:
    """The problem with the exported model (the visible test, or also the hidden one), or None."""
    folder, found = export_copy(str(evidence.folder))
    if "saved_model.pb" not in found:
        return "No hay saved_model.pb en CARPETA_EXPORTACION: exporta exactamente en CARPETA_EXPORTACION."
    if "variables" not in found:
        return "Falta la carpeta variables/ del SavedModel."
    try:
        loaded = _load_export(str(folder))
    except Exception as error:  # noqa: BLE001
        return f"No se pudo cargar tu SavedModel: {type(error).__name__}."
    if not callable(loaded):
        return "El SavedModel exportado debe poder llamarse (__call__): usa tf.saved_model.save(clasificador, ...)."
    if reusable:
        shapes = [tuple(v.shape) for v in getattr(loaded, "variables", [])]
        if not shapes or (_c.FEATURE_DIM, 5) not in shapes:
            return "El SavedModel exportado no contiene los pesos de la cabeza (256 x 5)."
        if not (hasattr(loaded, "trainable_variables") and hasattr(loaded, "regularization_losses")):
            return "Falta trainable_variables o regularization_losses: no es un SavedModel reutilizable."
    try:
        mine = _held_out_predictions(str(folder), int(reto["ej3_semilla"]))
    except Exception as error:  # noqa: BLE001
        return f"hub.KerasLayer no puede usar tu SavedModel: {type(error).__name__}."
    x, labels = held_out(reto)
    x, mine = (x, mine) if reusable else (x[:200], mine[:200])
    if mine.shape != (len(x), 5):
        return f"El modelo recargado debe dar 5 probabilidades por imagen; dio la forma {mine.shape}."
    reference = _reference(str(evidence.folder), int(reto["ej3_semilla"]))[:len(x)]
    if not np.allclose(mine, reference, atol=1e-5):
        return ("Las predicciones del modelo recargado no coinciden con las de `clasificador`: "
                "¿exportaste otro modelo, o uno sin entrenar?")
    reached = accuracy(mine, labels[:len(x)])
    if reusable and reached < MIN_ACCURACY:
        return f"El modelo exportado acierta solo {reached:.2f}: ¿exportaste un modelo sin entrenar?"
    return None
