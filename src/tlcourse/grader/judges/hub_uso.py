"""Judge of 05_tensorflow_hub: the TF Hub cache, describing a signature, exporting a SavedModel.

* ej1: ``carpeta_cache``/``esta_en_cache`` on handles and a cache folder drawn for this run,
  then on a real download from the classroom server (inside the kernel's sandbox); the judge
  recomputes every SHA-1 folder name.
* ej2: ``describir_firma`` on the course backbone and on a SavedModel whose two signatures
  (names, shapes, dtypes) are drawn for this run; the probe keeps tuples apart from lists.
* ej3: the exported folder comes back as its files' bytes; the judge loads the SavedModel
  (``tf.saved_model.load`` runs no Python from the file) and checks, on held-out images drawn
  for this run, that it reproduces ``clasificador`` (rebuilt from its config and weights, its
  backbone compared with the published one) and that its accuracy is that of a trained head.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from tlcourse import contract as _c
from tlcourse.grader.judges import _keras
from tlcourse.grader.judging import PASS, Evidence, EvidenceError, Verdict, fail

MIN_ACCURACY = 0.4  # the notebook's hidden test: an untrained head scores about 0.2
EXPORT_SAMPLE = 500
MAX_EXPORT_FILES = 200

_TYPED = (
    "def _tlc_tipado(v):\n"
    "    if isinstance(v, tuple):\n"
    "        return {'tupla': [_tlc_tipado(e) for e in v]}\n"
    "    if isinstance(v, list):\n"
    "        return {'lista': [_tlc_tipado(e) for e in v]}\n"
    "    if isinstance(v, dict):\n"
    "        return {'dict': [[_tlc_tipado(k), _tlc_tipado(e)] for k, e in v.items()]}\n"
    "    return __import__('tlcourse.grader.evidence').grader.evidence.to_plain(v)\n"
)

_EJ1 = (
    "def _tlc_ej1():\n"
    "    import os, pathlib\n"
    "    antes, raiz = os.environ.get('TFHUB_CACHE_DIR'), pathlib.Path(str(RETO['ej1_raiz']))\n"
    "    os.environ['TFHUB_CACHE_DIR'] = str(raiz)\n"
    "    filas = []\n"
    "    try:\n"
    "        for h in RETO['ej1_handles']:\n"
    "            h = str(h)\n"
    "            c = carpeta_cache(h)\n"
    "            fila = {'es_path': isinstance(c, pathlib.Path), 'ruta': str(c), 'antes': bool(esta_en_cache(h))}\n"
    "            if pathlib.Path(c).parent == raiz:\n"
    "                (pathlib.Path(c) / 'variables').mkdir(parents=True, exist_ok=True)\n"
    "                fila['a_medias'] = bool(esta_en_cache(h))\n"
    "                (pathlib.Path(c) / 'saved_model.pb').write_bytes(b'x')\n"
    "                fila['completa'] = bool(esta_en_cache(h))\n"
    "            filas.append(fila)\n"
    "    finally:\n"
    "        __import__('shutil').rmtree(raiz, ignore_errors=True)\n"
    "        if antes is None:\n"
    "            os.environ.pop('TFHUB_CACHE_DIR', None)\n"
    "        else:\n"
    "            os.environ['TFHUB_CACHE_DIR'] = antes\n"
    "    return filas\n"
    "registrar('ej1_carpeta', _tlc_ej1)\n"
)

_EJ1_REAL = (
    "def _tlc_ej1_real():\n"
    "    import os, pathlib\n"
    "    antes, raiz = os.environ.get('TFHUB_CACHE_DIR'), pathlib.Path(str(RETO['ej1_raiz_real']))\n"
    "    os.environ['TFHUB_CACHE_DIR'] = str(raiz)\n"
    "    try:\n"
    "        with __import__('tlcourse.hub').hub.start_server() as servidor:\n"
    "            h = servidor.handle()\n"
    "            fila = {'handle': h, 'ruta': str(carpeta_cache(h)), 'antes': bool(esta_en_cache(h))}\n"
    "            __import__('tensorflow_hub').resolve(h)\n"
    "            fila['despues'] = bool(esta_en_cache(h))\n"
    "            otro = servidor.handle('otro_modelo', str(RETO['ej1_version']))\n"
    "            c = pathlib.Path(carpeta_cache(otro))\n"
    "            fila['ruta_otro'] = str(c)\n"
    "            if c.parent == raiz:\n"
    "                (c / 'variables').mkdir(parents=True)\n"
    "            fila['a_medias'] = bool(esta_en_cache(otro))\n"
    "            return fila\n"
    "    finally:\n"
    "        __import__('shutil').rmtree(raiz, ignore_errors=True)\n"
    "        if antes is None:\n"
    "            os.environ.pop('TFHUB_CACHE_DIR', None)\n"
    "        else:\n"
    "            os.environ['TFHUB_CACHE_DIR'] = antes\n"
    "registrar('ej1_real', _tlc_ej1_real)\n"
)

_EJ2_OTHER = _TYPED + (
    "def _tlc_firmas():\n"
    "    import json, tempfile\n"
    "    tf, hub = __import__('tensorflow'), __import__('tensorflow_hub')\n"
    "    spec = json.loads(str(RETO['ej2_firmas']))\n"
    "    def hacer(firma):\n"
    "        entradas = [tf.TensorSpec([None if d < 0 else d for d in forma], tf.as_dtype(tipo), name=nombre)\n"
    "                    for nombre, forma, tipo in firma['entradas']]\n"
    "        def cuerpo(*xs):\n"
    "            salida = {}\n"
    "            for nombre, i, tipo, eje in firma['salidas']:\n"
    "                y = tf.cast(xs[i], tf.as_dtype(tipo))\n"
    "                salida[nombre] = y if eje < 0 else tf.reduce_sum(y, axis=eje)\n"
    "            return salida\n"
    "        return tf.function(cuerpo, input_signature=entradas)\n"
    "    modulo = tf.Module()\n"
    "    modulo.f, modulo.g = hacer(spec['principal']), hacer(spec['otra'])\n"
    "    ruta = tempfile.mkdtemp(prefix='tlc_firmas_')\n"
    "    tf.saved_model.save(modulo, ruta, signatures={'serving_default': modulo.f.get_concrete_function(),\n"
    "                                                 spec['otra_nombre']: modulo.g.get_concrete_function()})\n"
    "    objeto = hub.load(ruta)\n"
    "    return {'principal': _tlc_tipado(describir_firma(objeto)),\n"
    "            'otra': _tlc_tipado(describir_firma(objeto, spec['otra_nombre']))}\n"
    "registrar('ej2_otra', _tlc_firmas)\n"
)

_EJ3 = (
    "def _tlc_exportado():\n"
    "    import pathlib\n"
    "    np = __import__('numpy')\n"
    "    raiz = pathlib.Path(CARPETA_EXPORTACION)\n"
    "    todos = sorted(raiz.rglob('*')) if raiz.is_dir() else []\n"
    "    archivos = [p for p in todos if p.is_file() and not p.is_symlink()][:%d]\n"
    "    for i, p in enumerate(archivos):\n"
    "        registrar(f'ej3_archivo{i}', lambda: np.frombuffer(p.read_bytes(), dtype=np.uint8))\n"
    "    return {'archivos': [p.relative_to(raiz).as_posix() for p in archivos],\n"
    "            'carpetas': [p.relative_to(raiz).as_posix() for p in todos if p.is_dir()]}\n"
    "registrar('ej3_exportado', _tlc_exportado)\n"
    "registrar('ej3_clasificador', lambda: clasificador)\n"
) % MAX_EXPORT_FILES

PROBES = {
    "test_ej1_carpeta": _EJ1,
    "test_ej1_descarga_real": _EJ1_REAL,
    "test_ej2_backbone": _TYPED + (
        "registrar('ej2_backbone', lambda: _tlc_tipado(describir_firma(__import__('tensorflow_hub').load("
        "__import__('tlcourse.hub').hub.backbone_spec('local').handle))))\n"),
    "test_ej2_otra_firma": _EJ2_OTHER,
    "test_ej3_recarga": _EJ3,
    "test_ej3_reutilizable": "registrar('ej3_visto', lambda: True)\n",
}

_WORDS = ("imagen", "texto", "mascara", "pesos", "ids", "escala", "lote", "datos", "tokens", "valores")
_IN_DTYPES = ("float32", "int32", "uint8", "int64", "float64")
_OUT_DTYPES = ("float32", "int32", "int64", "float64")


# --------------------------------------------------------------------------- this run's inputs
def _signature(rng: np.random.Generator, n_in: int, n_out: int) -> dict[str, Any]:
    names = [str(w) for w in rng.choice(_WORDS, size=n_in + n_out, replace=False)]
    inputs = []
    for name in names[:n_in]:
        rank = int(rng.integers(1, 4))
        shape = [-1 if rng.random() < 0.4 else int(rng.integers(1, 9)) for _ in range(rank)]
        inputs.append([name, shape, str(rng.choice(_IN_DTYPES))])
    outputs = []
    for name in names[n_in:]:
        source = int(rng.integers(n_in))
        rank = len(inputs[source][1])
        axis = int(rng.integers(rank)) if rank > 1 and rng.random() < 0.5 else -1
        outputs.append([name, source, str(rng.choice(_OUT_DTYPES)), axis])
    return {"entradas": inputs, "salidas": outputs}


def challenge(seed: int) -> dict[str, np.ndarray]:
    """Handles, cache folders, signatures and held-out images for this run."""
    rng = np.random.default_rng(seed)
    token = lambda: "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), 10))  # noqa: E731
    handles = [f"http://127.0.0.1:{int(rng.integers(1024, 65535))}/models/{token()}/{int(rng.integers(1, 20))}",
               f"https://example.org/{token()}/{token()}/{int(rng.integers(1, 9))}",
               f"http://{token()}.local:8080/models/{token()}/1"]
    signatures = {"principal": _signature(rng, int(rng.integers(2, 4)), int(rng.integers(2, 4))),
                  "otra": _signature(rng, 1, int(rng.integers(1, 3))), "otra_nombre": f"firma_{token()}"}
    return {
        "ej1_raiz": np.array(f"/tmp/tlc_cache_{token()}"),
        "ej1_handles": np.array(handles),
        "ej1_raiz_real": np.array(f"/tmp/tlc_descarga_{token()}"),
        "ej1_version": np.array(str(int(rng.integers(2, 100)))),
        "ej2_firmas": np.array(json.dumps(signatures)),
        "ej3_semilla": np.array(int(rng.integers(2**31))),  # the held-out images the judge draws
    }


# --------------------------------------------------------------------------- ej1
def _sha1_folder(root: str, handle: str) -> str:
    return str(Path(root) / hashlib.sha1(handle.encode("utf8")).hexdigest())


def _judge_folder(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    root, handles = str(reto["ej1_raiz"]), [str(h) for h in reto["ej1_handles"]]
    if not isinstance(got, list) or len(got) != len(handles) or not all(isinstance(g, dict) for g in got):
        return fail("carpeta_cache y esta_en_cache deben poder llamarse con cualquier handle.")
    for row, handle in zip(got, handles):
        if row.get("es_path") is not True:
            return fail("carpeta_cache debe devolver un pathlib.Path.")
        if row.get("ruta") != _sha1_folder(root, handle):
            return fail("Con otro handle y otra TFHUB_CACHE_DIR, la carpeta debe ser TFHUB_CACHE_DIR/<SHA-1 "
                        "hexadecimal del handle>.")
        if row.get("antes") is not False:
            return fail("Un handle que nunca se cargó no está en la caché.")
        if row.get("a_medias") is not False:
            return fail("Una carpeta sin saved_model.pb (descarga a medias) NO cuenta como modelo en la caché.")
        if row.get("completa") is not True:
            return fail("Si la carpeta del handle tiene saved_model.pb, esta_en_cache debe devolver True.")
    return PASS


_SERVED = re.compile(r"^http://127\.0\.0\.1:(\d+)/models/" + re.escape(_c.MODEL_NAME) + "/" + re.escape(_c.MODEL_VERSION) + "$")


def _judge_download(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    root = str(reto["ej1_raiz_real"])
    match = _SERVED.match(str(got.get("handle"))) if isinstance(got, dict) else None
    if match is None:
        return fail("No se pudo probar la descarga desde un servidor del aula.")
    handle = str(got["handle"])
    other = f"http://127.0.0.1:{match.group(1)}/models/otro_modelo/{str(reto['ej1_version'])}"
    if got.get("ruta") != _sha1_folder(root, handle) or got.get("ruta_otro") != _sha1_folder(root, other):
        return fail("carpeta_cache debe leer TFHUB_CACHE_DIR cada vez que se llama y apuntar a donde TF Hub "
                    "guarda el modelo.")
    if got.get("antes") is not False:
        return fail("Con una caché vacía, esta_en_cache debe devolver False.")
    if got.get("despues") is not True:
        return fail("Después de cargar el modelo, esta_en_cache debe devolver True.")
    if got.get("a_medias") is not False:
        return fail("Una carpeta a medias (sin saved_model.pb) no cuenta como modelo en la caché.")
    return PASS


# --------------------------------------------------------------------------- ej2
def untyped(value: Any) -> Any:
    """The probe's typed encoding back to Python (tuples stay tuples, lists stay lists)."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, items), = value.items()
        if kind == "tupla" and isinstance(items, list):
            return tuple(untyped(v) for v in items)
        if kind == "lista" and isinstance(items, list):
            return [untyped(v) for v in items]
        if kind == "dict" and isinstance(items, list) and all(isinstance(p, list) and len(p) == 2 for p in items):
            return {_hashable(untyped(k)): untyped(v) for k, v in items}
    if isinstance(value, (dict, list)):
        raise EvidenceError("evidencia de describir_firma mal formada")
    return value


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        raise EvidenceError("evidencia de describir_firma mal formada")
    return key


def describe(signature: dict[str, Any]) -> dict[str, dict[str, tuple]]:
    """The expected ``describir_firma`` of a drawn signature."""
    inputs = {name: (tuple(None if d < 0 else d for d in shape), dtype) for name, shape, dtype in signature["entradas"]}
    outputs = {}
    for name, source, dtype, axis in signature["salidas"]:
        shape = list(inputs[signature["entradas"][source][0]][0])
        if axis >= 0:
            del shape[axis]
        outputs[name] = (tuple(shape), dtype)
    return {"entradas": inputs, "salidas": outputs}


def _judge_backbone(got: Any) -> Verdict:
    d = untyped(got)
    if not isinstance(d, dict) or set(d) != {"entradas", "salidas"}:
        return fail("Devuelve un diccionario con las claves 'entradas' y 'salidas'.")
    if not isinstance(d["entradas"], dict) or list(d["entradas"]) != ["image"]:
        return fail("La firma del backbone tiene una sola entrada llamada 'image'.")
    pair = d["entradas"]["image"]
    if not isinstance(pair, tuple) or len(pair) != 2 or not isinstance(pair[0], tuple):
        return fail("La forma debe ser una tupla, p. ej. (None, 32, 32, 3).")
    if pair != ((None, 32, 32, 3), "float32"):
        return fail("Forma de entrada esperada (None, 32, 32, 3) y dtype 'float32' (como texto).")
    if not isinstance(d["salidas"], dict) or list(d["salidas"]) != ["features"]:
        return fail("La salida del backbone se llama 'features'.")
    return PASS


def _judge_other(got: Any, reto: dict[str, np.ndarray]) -> Verdict:
    spec = json.loads(str(reto["ej2_firmas"]))
    if not isinstance(got, dict):
        return fail("describir_firma no describe bien otras firmas.")
    if untyped(got.get("principal")) != describe(spec["principal"]):
        return fail("describir_firma no describe bien una firma con varias entradas y salidas.")
    if untyped(got.get("otra")) != describe(spec["otra"]):
        return fail("describir_firma debe usar la firma indicada por `nombre`.")
    return PASS


def judge(grade_id: str, evidence: Evidence, reto: dict[str, np.ndarray]) -> Verdict:
    """Each cell checks what its in-kernel tests check (visible and hidden), on this run's inputs."""
    if grade_id == "test_ej1_carpeta":
        return _judge_folder(evidence.value("ej1_carpeta"), reto)
    if grade_id == "test_ej1_descarga_real":
        return _judge_download(evidence.value("ej1_real"), reto)
    if grade_id == "test_ej2_backbone":
        return _judge_backbone(evidence.value("ej2_backbone"))
    if grade_id == "test_ej2_otra_firma":
        return _judge_other(evidence.value("ej2_otra"), reto)
    if grade_id in ("test_ej3_recarga", "test_ej3_reutilizable"):
        from tlcourse.grader.judges import hub_exportacion

        if grade_id == "test_ej3_reutilizable":
            evidence.value("ej3_visto")
        problem = hub_exportacion.check(evidence, reto, reusable=grade_id == "test_ej3_reutilizable")
        return fail(problem) if problem else PASS
    return fail(f"celda sin juez: {grade_id}")


warm = _keras.warm_tensorflow  # the judge's warm-up: TensorFlow only
