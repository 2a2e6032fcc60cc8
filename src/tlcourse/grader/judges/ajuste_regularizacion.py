"""Judge of 04_ajuste_fino's regularisation exercises: augmentation, early stopping, validation data.

Registered for 04 beside :mod:`.ajuste` (``judges.JUDGES``): the two modules own disjoint
graded cells and challenge keys. Every verdict is recomputed from inert evidence:

* ej6 (``capa_aumentacion``): the probe wraps the student's layers in a model on a
  ``(32, 32, 3)`` input; the judge rebuilds it from config (built-in Keras layers, random
  preprocessing layers included, no code) and applies it to images it draws: a centred
  patch with a bright corner, and a white frame. At inference the output must be the input;
  in training the shape and dtype stay, the patch's centroid moves by at most
  :data:`MAX_SHIFT_PX` pixels (*campo*'s range) and by at least :data:`MIN_SHIFT_PX` on each
  axis, the bright corner never goes to the bottom (no vertical flip; a horizontal flip is
  allowed), and what the shift uncovers is black (*campo*'s canvas).
* ej7 (``entrenar_con_parada``): the probe trains a model the judge specifies (weights from
  the challenge) on a drawn task that overfits; the judge recomputes the validation loss of
  the returned weights on its own copy of the validation data: it must be the minimum of the
  recorded ``val_loss`` (``restore_best_weights`` on ``val_loss``), reached before the last
  epoch, the run stopped before ``max_epocas`` and its optimizer steps match its epochs.
* ej8 (validation split): the validation features must be rows of the training pool's
  features (the judge computes them with the published backbone), disjoint from the rows the
  head was fitted on, every class present, labels the pool's, and the head's validation loss
  (recomputed) the minimum of the recorded history: epochs were chosen on that split, not on test.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from tlcourse.grader.judging import PASS, Evidence, Verdict, fail
from tlcourse.grader.judges import _keras

MAX_SHIFT_PX = 6.0      #: campo: the item sits up to 6 pixels from the centre on each axis
MIN_SHIFT_PX = 2.0      #: the largest shift seen on each axis must reach this (it augments)
SHIFT_TOLERANCE = 0.35  #: pixels, on the centroid of a bilinear-interpolated patch
N_AUGMENTED = 48
#: Random preprocessing layers a rebuilt augmentation may contain (configs without code).
PREPROCESSING = ("RandomTranslation", "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast",
                 "RandomBrightness", "RandomCrop", "RandomHeight", "RandomWidth", "Resizing",
                 "CenterCrop", "GaussianNoise")
EJ7_FEATURES, EJ7_TRAIN, EJ7_VAL = 40, 40, 200
#: Relative tolerance between the returned model's validation loss, recomputed by the judge,
#: and the best recorded ``val_loss``: a thousand times the float32 noise measured for the
#: right code (up to 1e-7), so batch order or thread count never cost a correct student.
#: Keeping the last epoch's weights (no ``restore_best_weights``) ends ``patience`` epochs past
#: the best, measured at least 1 % above it on 100 seeds of ej7's task; the 0.2 % allowed
#: before let that mistake through whenever the loss had flattened that much.
LOSS_RTOL = 1e-4

PROBES = {
    "test_ej6_aumentacion": (
        "def _tlc_aum():\n"
        "    tf = __import__('tensorflow')\n"
        "    e = tf.keras.Input((32, 32, 3))\n"
        "    return tf.keras.Model(e, capa_aumentacion()(e))\n"
        "registrar('ej6_aumentacion', _tlc_aum)\n"
    ),
    "test_ej7_parada": (
        "def _tlc_parada():\n"
        "    tf = __import__('tensorflow')\n"
        "    m = tf.keras.Sequential([tf.keras.Input((RETO['ej7_w'].shape[0],)),\n"
        "                             tf.keras.layers.Dense(5, activation='softmax')])\n"
        "    m.set_weights([RETO['ej7_w'], RETO['ej7_b']])\n"
        "    m.compile(tf.keras.optimizers.Adam(float(RETO['ej7_lr'])), 'sparse_categorical_crossentropy')\n"
        "    h = entrenar_con_parada(m, RETO['ej7_x'], RETO['ej7_y'], RETO['ej7_xv'], RETO['ej7_yv'],\n"
        "                            int(RETO['ej7_max']))\n"
        "    return {'history': isinstance(h, tf.keras.callbacks.History),\n"
        "            'epocas': [int(e) for e in h.epoch],\n"
        "            'perdidas': {str(k): [float(v) for v in h.history[k]] for k in h.history},\n"
        "            'pasos': int(m.optimizer.iterations.numpy())}, m\n"
        "_tlc_r = []\n"
        "registrar('ej7', lambda: _tlc_r.append(_tlc_parada()) or _tlc_r[0][0])\n"
        "registrar('ej7_modelo', lambda: _tlc_r[0][1])\n"
    ),
    "test_ej8_validacion": (
        "_tlc_np = __import__('numpy')\n"
        "registrar('ej8_val', lambda: _tlc_np.asarray(rasgos_val, dtype='float32'))\n"
        "registrar('ej8_y_val', lambda: _tlc_np.asarray(y_val).astype('int64'))\n"
        "registrar('ej8_ajuste', lambda: _tlc_np.asarray(rasgos_ajuste, dtype='float32'))\n"
        "registrar('ej8_y_ajuste', lambda: _tlc_np.asarray(y_ajuste).astype('int64'))\n"
        "registrar('ej8_historia', lambda: {str(k): [float(v) for v in historia_parada.history[k]]\n"
        "                                   for k in historia_parada.history})\n"
        "registrar('ej8_cabeza', lambda: cabeza_parada)\n"
    ),
}


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Pattern intensities, and a small linear task that overfits within a few epochs."""
    rng = np.random.default_rng(seed)
    teacher = rng.normal(0, 1, (EJ7_FEATURES, 5))
    x = rng.normal(0, 1, (EJ7_TRAIN, EJ7_FEATURES)).astype(np.float32)
    xv = rng.normal(0, 1, (EJ7_VAL, EJ7_FEATURES)).astype(np.float32)
    return {
        "ej6_base": np.array(float(rng.uniform(0.2, 0.4))),
        "ej6_brillo": np.array(float(rng.uniform(0.8, 1.0))),
        "ej6_ruido": rng.random((4, 32, 32, 3), dtype=np.float32),
        "ej7_x": x, "ej7_xv": xv,
        "ej7_y": np.argmax(x @ teacher + rng.gumbel(0, 1.5, (EJ7_TRAIN, 5)), axis=1),
        "ej7_yv": np.argmax(xv @ teacher + rng.gumbel(0, 1.5, (EJ7_VAL, 5)), axis=1),
        "ej7_w": rng.normal(0, 0.05, (EJ7_FEATURES, 5)).astype(np.float32),
        "ej7_b": np.zeros(5, np.float32),
        "ej7_lr": np.array(0.02),
        "ej7_max": np.array(int(rng.integers(40, 50))),
    }


# --------------------------------------------------------------------------- helpers
def _custom_objects() -> dict[str, Any]:
    layers = _keras.tf().keras.layers
    return {name: getattr(layers, name) for name in PREPROCESSING if hasattr(layers, name)}


def _mean_loss(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Mean sparse categorical cross-entropy of ``model`` (inference mode) on ``(x, y)``."""
    tf = _keras.tf()
    p = model(x, training=False)
    return float(np.mean(tf.keras.losses.sparse_categorical_crossentropy(y, p).numpy()))


def _restored_best(history: Any, loss: float, what: str) -> str | None:
    """None if ``loss`` is the minimum of ``history['val_loss']`` (reached before the last epoch)."""
    if not isinstance(history, dict) or "val_loss" not in history:
        return (f"{what} no tiene val_loss: pasa validation_data=(x_val, y_val) a fit para que "
                "EarlyStopping vigile la pérdida de validación.")
    val = np.asarray(history["val_loss"], dtype=float)
    if val.ndim != 1 or len(val) == 0 or not np.all(np.isfinite(val)):
        return f"{what}: el historial de val_loss está vacío o no es numérico."
    best = int(np.argmin(val))
    if not math.isclose(loss, float(val[best]), rel_tol=LOSS_RTOL, abs_tol=1e-5):
        if math.isclose(loss, float(val[-1]), rel_tol=LOSS_RTOL, abs_tol=1e-5):
            return (f"{what}: el modelo quedó con los pesos de la última época (pérdida de validación "
                    f"{loss:.4f}), no con los de la mejor ({val[best]:.4f}). Usa restore_best_weights=True.")
        return (f"{what}: la pérdida de validación del modelo devuelto ({loss:.4f}) no es la mínima del "
                f"historial ({val[best]:.4f}): EarlyStopping debe vigilar monitor='val_loss' y restaurar "
                "los mejores pesos.")
    return None


# --------------------------------------------------------------------------- ej6
def patterns(reto: dict[str, np.ndarray]) -> np.ndarray:
    """``N_AUGMENTED`` copies of a black image with a centred 8x8 patch whose top half is bright.

    Symmetric left-right (a horizontal flip leaves it as it is, so its centroid measures the
    shift alone), not top-bottom (a vertical flip puts the bright half at the bottom)."""
    image = np.zeros((32, 32, 3), np.float32)
    image[12:20, 12:20] = float(reto["ej6_base"])
    image[12:16, 12:20] = float(reto["ej6_brillo"])
    return np.repeat(image[None], N_AUGMENTED, axis=0)


def _centroids(images: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per image, the (row, col) centroid of the grey level (of ``mask``'s pixels if given)."""
    grey = images.mean(axis=-1)
    weights = grey if mask is None else grey * mask
    total = weights.sum(axis=(1, 2))
    rows, cols = np.mgrid[0:images.shape[1], 0:images.shape[2]]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([(weights * rows).sum(axis=(1, 2)) / total, (weights * cols).sum(axis=(1, 2)) / total], axis=1)


def check_augmentation(model: Any, reto: dict[str, np.ndarray]) -> str | None:
    """The Spanish reason ``model`` is not campo's augmentation, or None."""
    x = patterns(reto)
    noise = reto["ej6_ruido"]
    for sample in (noise, x[:4]):
        if not np.array_equal(np.asarray(model(sample, training=False)), sample):
            return ("La aumentación cambia las imágenes en inferencia (training=False): debe ser la identidad "
                    "fuera del entrenamiento. ¿Llamaste a una capa con training=True o añadiste una capa que "
                    "no es aleatoria?")
    out = model(x, training=True)
    if tuple(out.shape) != x.shape or out.dtype.name != "float32":
        return f"En entrenamiento la salida debe conservar la forma {x.shape[1:]} y el tipo float32, no {tuple(out.shape)[1:]} {out.dtype.name}."
    out = np.asarray(out)
    grey = out.mean(axis=-1)
    bright = grey > 0.75 * grey.max(axis=(1, 2), keepdims=True)  # the bright half (base <= 0.5 of it)
    half = _centroids(out, bright) - _centroids(out)
    if np.all(np.isfinite(half)) and np.any(half[:, 0] >= 0):
        return ("La aumentación pone imágenes boca abajo (volteo vertical): en campo las prendas nunca aparecen "
                "invertidas y una sandalia con la suela arriba no es una imagen de la tarea.")
    shift = _centroids(out) - _centroids(x)
    if not np.all(np.isfinite(shift)):
        return "La aumentación hizo desaparecer la prenda de alguna imagen: el desplazamiento es demasiado grande."
    largest = np.abs(shift).max(axis=0)
    if largest.max() > MAX_SHIFT_PX + SHIFT_TOLERANCE:
        return (f"La aumentación desplaza hasta {largest.max():.1f} píxeles: en campo la prenda se aleja como mucho "
                f"{MAX_SHIFT_PX:.0f} píxeles del centro en cada eje (factor {MAX_SHIFT_PX:.0f}/32).")
    if largest.min() < MIN_SHIFT_PX:
        axis = "vertical" if largest[0] < largest[1] else "horizontal"
        return (f"La aumentación casi no desplaza en el eje {axis} (como mucho {largest.min():.1f} píxeles): en campo "
                "la prenda se mueve en los dos ejes. Usa RandomTranslation con factores de alto y de ancho.")
    frame = np.ones((N_AUGMENTED, 32, 32, 3), np.float32)
    uncovered = (np.asarray(model(frame, training=True)).mean(axis=-1) < 0.5).any(axis=(1, 2))
    if uncovered.mean() < 0.5:
        return ("Lo que el desplazamiento deja al descubierto no es negro: en campo el fondo es el lienzo negro. "
                "Usa fill_mode='constant' (fill_value=0).")
    return None


def _judge_ej6(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    model = evidence.keras_model("ej6_aumentacion", custom_objects=_custom_objects())
    problem = check_augmentation(model, reto)
    return fail(problem) if problem else PASS


# --------------------------------------------------------------------------- ej7
def _judge_ej7(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    got = evidence.value("ej7")
    if not isinstance(got, dict) or got.get("history") is not True:
        return fail("entrenar_con_parada debe devolver el History de fit.")
    history, epochs, max_epochs = got.get("perdidas"), got.get("epocas"), int(reto["ej7_max"])
    if not isinstance(epochs, list) or not epochs or epochs != list(range(len(epochs))):
        return fail("entrenar_con_parada debe entrenar desde la época 0 y devolver su History.")
    if len(epochs) >= max_epochs:
        return fail(f"El entrenamiento llegó a max_epocas={max_epochs} sin detenerse, aunque la pérdida de "
                    "validación había dejado de bajar: usa EarlyStopping(monitor='val_loss', ...).")
    steps = got.get("pasos")
    if not isinstance(steps, int) or steps <= 0 or steps % len(epochs):
        return fail("Los pasos del optimizador no corresponden a las épocas del historial.")
    model = evidence.keras_model("ej7_modelo")
    if model.count_params() != reto["ej7_w"].size + 5:
        return fail("entrenar_con_parada no debe cambiar el modelo que recibe, solo entrenarlo.")
    problem = _restored_best(history, _mean_loss(model, reto["ej7_xv"], reto["ej7_yv"]), "entrenar_con_parada")
    if problem:
        return fail(problem)
    if len(history["val_loss"]) != len(epochs) or int(np.argmin(history["val_loss"])) == len(epochs) - 1:
        return fail("La mejor época de validación debe quedar antes de la última: EarlyStopping se detiene tras "
                    "`patience` épocas sin mejora.")
    return PASS


# --------------------------------------------------------------------------- ej8
@functools.lru_cache(maxsize=1)
def pool_features() -> tuple[np.ndarray, np.ndarray]:
    """Features of the notebook's training pool (K = 50 per class, campo) from the published
    backbone (computed once per judge run; read only)."""
    from tlcourse import data
    from tlcourse.grader.judges.ajuste import _published

    x, y = data.target_subset(50, "campo")
    gray = x.astype("float32")[..., None] / 255
    images = np.concatenate([gray, gray, gray], axis=-1)
    found, labels = _keras.predict(_published(), images), y.astype(np.int64)
    found.flags.writeable = labels.flags.writeable = False
    return found, labels


def _rows_in(rows: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """For each row, the index of the pool row it equals (within float noise), or -1."""
    distance = ((rows[:, None, :] - pool[None, :, :]) ** 2).sum(axis=-1)
    nearest = distance.argmin(axis=1)
    scale = (pool ** 2).sum(axis=1).mean()
    return np.where(distance[np.arange(len(rows)), nearest] <= 1e-8 * scale, nearest, -1)


def _judge_ej8(evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    val, y_val = evidence.value("ej8_val"), evidence.value("ej8_y_val")
    fit, y_fit = evidence.value("ej8_ajuste"), evidence.value("ej8_y_ajuste")
    pool, labels = pool_features()
    for rows, ys, name in ((val, y_val, "rasgos_val"), (fit, y_fit, "rasgos_ajuste")):
        if not isinstance(rows, np.ndarray) or rows.ndim != 2 or rows.shape[1] != pool.shape[1] or len(rows) == 0 \
                or not isinstance(ys, np.ndarray) or ys.shape != (len(rows),):
            return fail(f"{name} deben ser filas de rasgos_train (n, {pool.shape[1]}) con sus etiquetas.")
    where_val, where_fit = _rows_in(val, pool), _rows_in(fit, pool)
    if np.any(where_val < 0):
        return fail("rasgos_val no sale de rasgos_train: la validación se separa de los datos de entrenamiento, "
                    "nunca del conjunto de prueba.")
    if np.any(where_fit < 0):
        return fail("rasgos_ajuste debe salir de rasgos_train.")
    if not (np.array_equal(y_val, labels[where_val]) and np.array_equal(y_fit, labels[where_fit])):
        return fail("y_val e y_ajuste deben ser las etiquetas de esas mismas filas de rasgos_train.")
    if set(where_val) & set(where_fit):
        return fail("rasgos_val y rasgos_ajuste comparten imágenes: la validación debe quedar aparte.")
    if set(y_val.tolist()) != set(range(5)):
        return fail("La validación debe tener imágenes de las 5 clases (usa stratify=y_train).")
    head = evidence.keras_model("ej8_cabeza")
    problem = _restored_best(evidence.value("ej8_historia"), _mean_loss(head, val, y_val), "historia_parada")
    if problem:
        return fail(problem + " (Y la validación debe ser rasgos_val, y_val.)")
    return PASS


JUDGES = {
    "test_ej6_aumentacion": _judge_ej6,
    "test_ej7_parada": _judge_ej7,
    "test_ej8_validacion": _judge_ej8,
}


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell at least as strict as its in-kernel tests, recomputed from the evidence."""
    decide = JUDGES.get(grade_id)
    if decide is None:
        return fail(f"celda sin juez: {grade_id}")
    return decide(evidence, reto)


def warm() -> None:
    """The training pool's features (TensorFlow and the published backbone with them), before
    any evidence exists."""
    pool_features()
