"""The judge: points decided from inert evidence, in a process where no submission code ran.

``python -m tlcourse.grader.judging ASSIGNMENT EVIDENCE_DIR SEED`` prints the verdicts as JSON::

    {"verdicts": {"<grade_id>": {"ok": true|false, "message": "<Spanish reason>"}},
     "integrity": ["<one-line reason>", ...], "cpu_s": <CPU seconds the judge used>}

``python -m tlcourse.grader.judging ASSIGNMENT EVIDENCE_DIR --stream`` is the same judge started
beside the kernel (:func:`stream`): it reads the seed, then each grade id whose probe has just
written its evidence, then ``fin``, one per line on stdin, and judges each cell as soon as it is
announced, so that TensorFlow's import and most judgements overlap the notebook's execution.
The seed comes on stdin, never on the command line, which other processes can read.

It reads only what :mod:`tlcourse.grader.evidence` wrote: JSON, ``.npy``/``.npz`` with
``allow_pickle=False``, and Keras models as JSON config plus weights, rebuilt with built-in
layers only (:data:`ALLOWED_CLASSES`; no ``Lambda``, no custom objects, so no code from the
submission runs here). The inputs the probes used are regenerated from the seed by the
assignment's judge (:mod:`tlcourse.grader.judges`), never read back from the kernel's folder, and
the judge recomputes the properties it checks instead of trusting reported values.
Missing or malformed evidence fails that cell with a Spanish reason; it never crashes the run.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_JSON_BYTES = 5_000_000
MAX_ARRAY_BYTES = 200_000_000
#: Keras classes a rebuilt model may contain (tf_keras built-ins without code in their config).
ALLOWED_CLASSES = frozenset({
    "Sequential", "Functional", "Model", "InputLayer", "Dense", "Flatten", "Dropout", "Activation",
    "Softmax", "ReLU", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "BatchNormalization", "Rescaling", "Reshape", "ZeroPadding2D", "Add",
    "Concatenate", "Normalization",
    # objects inside layer configs
    "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "Zeros", "Ones", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "Constant", "L1", "L2", "L1L2", "MaxNorm", "NonNeg",
    "UnitNorm", "__tensor__", "DTypePolicy", "Policy",
})


class EvidenceError(ValueError):
    """Evidence not what the judge accepts (the cell scores 0)."""


class MissingEvidence(EvidenceError):
    """No evidence where a probe should have written some (reported as tampering)."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    missing: bool = False  # the evidence was not there at all

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "missing": self.missing}


PASS = Verdict(True)


def fail(message: str) -> Verdict:
    return Verdict(False, message)


#: While a cell is judged in stream mode: every evidence file it opened -> its digest then
#: (None if it was missing). See :func:`stream`.
_READS: dict[Path, str | None] | None = None


def _digest(path: Path) -> str | None:
    """SHA-256 of a regular file's content, or None when there is none."""
    import hashlib

    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


class Evidence:
    """Read-only access to one run's evidence folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _file(self, name: str, max_bytes: int) -> Path:
        path = self.folder / name
        if _READS is not None and path not in _READS:
            _READS[path] = _digest(path)
        if path.is_symlink() or not path.is_file():
            raise MissingEvidence(f"falta la evidencia {name}")
        if path.stat().st_size > max_bytes:
            raise EvidenceError(f"la evidencia {name} es demasiado grande")
        return path

    def meta(self, name: str) -> dict[str, Any]:
        path = self._file(f"{name}.json", MAX_JSON_BYTES)  # MissingEvidence propagates
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise EvidenceError(f"evidencia {name} ilegible: {error}") from None
        if not isinstance(meta, dict) or meta.get("kind") not in {"json", "array", "keras", "error"}:
            raise EvidenceError(f"evidencia {name} mal formada")
        if meta["kind"] == "error":
            raise EvidenceError(f"tu código falló al evaluarlo: {str(meta.get('error'))[:200]}")
        return meta

    def value(self, name: str) -> Any:
        meta = self.meta(name)
        if meta["kind"] == "array":
            return np.load(self._file(f"{name}.npy", MAX_ARRAY_BYTES), allow_pickle=False)
        if meta["kind"] != "json":
            raise EvidenceError(f"la evidencia {name} no es un valor")
        return meta.get("value")

    def keras_model(self, name: str, custom_objects: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        """Rebuild a Keras model from its config and weights, built-in layers only."""
        meta = self.meta(name)
        if meta["kind"] != "keras":
            raise EvidenceError("no devolviste un modelo de Keras")
        check_classes(meta["config"], set(custom_objects or {}))
        from tlcourse._env import import_tensorflow_quietly

        tf = import_tensorflow_quietly()
        try:
            model = tf.keras.models.model_from_json(json.dumps(meta["config"]), custom_objects=custom_objects)
            with np.load(self._file(f"{name}.weights.npz", MAX_ARRAY_BYTES), allow_pickle=False) as stored:
                weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]
            model.set_weights(weights)
        except Exception as error:  # a config or weights the judge cannot rebuild: the cell fails
            raise EvidenceError(f"no se pudo reconstruir tu modelo: {type(error).__name__}") from None
        return model


def check_classes(config: Any, extra: set[str]) -> None:
    """Refuse any Keras class outside :data:`ALLOWED_CLASSES` (or ``extra``) in a config."""
    if isinstance(config, dict):
        name = config.get("class_name")
        if isinstance(name, str) and name not in ALLOWED_CLASSES and name not in extra:
            raise EvidenceError(f"la capa u objeto {name} no está permitido al calificar")
        for value in config.values():
            check_classes(value, extra)
    elif isinstance(config, list):
        for value in config:
            check_classes(value, extra)


def judge_one(module: Any, grade_id: str, evidence: Evidence, challenge: dict[str, Any]) -> dict[str, Any]:
    """One cell's verdict as a dict; any failure is that cell's 0, never the run's crash."""
    try:
        verdict = module.judge(grade_id, evidence, challenge)
    except MissingEvidence as error:
        verdict = Verdict(False, f"{error}.", missing=True)
    except EvidenceError as error:
        verdict = fail(f"{error}.")
    except Exception as error:  # noqa: BLE001  (malformed evidence: that cell scores 0, the run goes on)
        verdict = fail(f"evidencia mal formada ({type(error).__name__}).")
    return verdict.as_dict()


def judge_all(assignment: str, folder: Path, seed: int) -> dict[str, Any]:
    """Every grade cell's verdict, plus the kernel-integrity findings."""
    from tlcourse.grader.judges import judge_for

    module = judge_for(assignment)
    if module is None:
        return {"verdicts": {}, "integrity": []}
    evidence = Evidence(folder)
    challenge = module.challenge(seed)
    verdicts = {grade_id: judge_one(module, grade_id, evidence, challenge) for grade_id in module.PROBES}
    return {"verdicts": verdicts, "integrity": integrity_findings(evidence)}


def stream(assignment: str, folder: Path, lines: Any) -> dict[str, Any] | None:
    """Judge while the notebook runs: ``lines`` gives the seed, then grade ids as their probes
    finish, then ``fin``. Returns None if ``lines`` ends without ``fin`` (the grader is gone).

    The result is the one :func:`judge_all` would give at ``fin``: every evidence file a
    judgement opened is remembered with its digest, and if any of them changed (or appeared)
    before ``fin``, the early judgements are dropped and every cell is judged again on the
    final evidence, with the judges' caches cleared.
    """
    global _READS
    from tlcourse.grader.judges import forget, judge_for, warm

    seed = int(lines.readline())
    module = judge_for(assignment)
    if module is None:
        return {"verdicts": {}, "integrity": []}
    warm(module)  # TensorFlow and the published backbone, before any evidence exists
    evidence = Evidence(folder)
    challenge = module.challenge(seed)
    verdicts: dict[str, dict[str, Any]] = {}
    reads: dict[Path, str | None] = {}
    for line in lines:
        grade_id = line.strip()
        if grade_id == "fin":
            break
        if grade_id in module.PROBES and grade_id not in verdicts:
            _READS = reads
            try:
                verdicts[grade_id] = judge_one(module, grade_id, evidence, challenge)
            finally:
                _READS = None
    else:
        return None
    early = len(verdicts)
    if any(_digest(path) != digest for path, digest in reads.items()):
        forget()
        verdicts, early = {}, 0
    for grade_id in module.PROBES:
        if grade_id not in verdicts:
            verdicts[grade_id] = judge_one(module, grade_id, evidence, challenge)
    ordered = {grade_id: verdicts[grade_id] for grade_id in module.PROBES}
    return {"verdicts": ordered, "integrity": integrity_findings(evidence), "judged_early": early}


def integrity_findings(evidence: Evidence) -> list[str]:
    """What changed in the kernel's machinery between the first and the last probe."""
    try:
        before, after = evidence.value("integridad_inicio"), evidence.value("integridad_fin")
    except EvidenceError as error:
        return [f"integrity probe: {error}"]
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ["integrity probe: malformed"]
    return [f"{key} changed: {before.get(key)!r} -> {after.get(key)!r}"[:300]
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def main(argv: list[str] | None = None) -> int:
    import time

    assignment, folder, seed = (argv if argv is not None else sys.argv[1:])
    if seed == "--stream":
        result = stream(assignment, Path(folder), sys.stdin)
        if result is None:  # the grader left without asking for the verdicts
            return 1
    else:
        result = judge_all(assignment, Path(folder), int(seed))
    # This process's CPU seconds from its start (imports included): the grader cannot read them
    # itself, since bwrap's monitor leaves without waiting for the sandboxed process.
    result["cpu_s"] = round(time.process_time(), 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    # Run the main of the imported module, not of this ``__main__`` copy: the judges raise
    # ``tlcourse.grader.judging.EvidenceError``, which must be the very class ``judge_all`` catches.
    import os

    from tlcourse.grader.judging import main as _main

    code = _main()
    # The verdicts are printed: leave without TensorFlow's teardown (destructors, atexit
    # hooks), which costs the judge about 1.4 s of CPU and decides nothing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
