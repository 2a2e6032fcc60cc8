"""Every nbgrader setting of the course, in one place.

``nbgrader_config.py`` (two lines) loads this file; ``tlcourse.grader.grading`` loads it too for
scratch courses (self-check, tests, class grading), so all graders share the settings.
Environment variables, for instructors:

* ``TLCOURSE_DB_URL``: any SQLAlchemy URL for the gradebook (e.g. PostgreSQL when
  several graders write at once). Default: SQLite ``gradebook.db`` in the course root.
* the grading limits (``tlcourse.grader.limits``, defined there once): ``TLCOURSE_CELL_TIMEOUT``,
  ``TLCOURSE_NOTEBOOK_TIMEOUT`` and ``TLCOURSE_KERNEL_MEMORY_MB``.
"""

import os
from pathlib import Path

from tlcourse.grader.limits import GradingLimits

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads the config)
LIMITS = GradingLimits.from_env()

COURSE_ROOT = Path(__file__).resolve().parent

#: nbgrader assignment ids = folder names = notebook names, in syllabus order.
ASSIGNMENTS = [
    "00_entorno",
    "01_evolucion_cnn",
    "02_arquitecturas",
    "03_extraccion_caracteristicas",
    "04_ajuste_fino",
    "05_tensorflow_hub",
    "06_proyecto",
]

c.CourseDirectory.course_id = "transfer-learning-tf-m7"
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = os.environ.get(
    "TLCOURSE_DB_URL", f"sqlite:///{COURSE_ROOT / 'gradebook.db'}"
)

# Execution while validating and autograding. The per-cell limit (tlcourse.grader.limits: 60 s) stops
# an endless loop in a submission (it scores 0 for that cell, the rest of the notebook still
# runs). While autograding (tlcourse.grader.execution.ContainedExecute) it counts the kernel's CPU
# time per core, so a busy machine never cuts a correct cell short; the wall clock (5x) only
# guards against cells that hang without computing. Validate in JupyterLab uses nbgrader's
# plain wall-clock timeout.
c.Execute.timeout = LIMITS.cell_s
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
c.Execute.execute_retries = 0

# What students see in place of the solution, in Spanish.
c.ClearSolutions.code_stub = {
    "python": "# TU CÓDIGO AQUÍ\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "ESCRIBE AQUÍ TU RESPUESTA"

# A test cell that writes to stderr scores 0. tlcourse silences TensorFlow before it
# loads; these patterns are a narrow backstop for lines TensorFlow's C++ runtime may
# still print on some machines, never a way to hide a student's warnings.
c.IgnorePattern.pattern = (
    r"(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I0000 00:00:.*cudart_stub\.cc.*Could not find cuda drivers.*)"
)

# Outputs are stripped from the release; the kernelspec is the standard python3.
c.ClearOutput.enabled = True

# Trusted verdicts (tlcourse.grader.verdicts): for assignments with a judge (tlcourse.grader.judges),
# JudgedExecute (ContainedExecute + evidence probes) runs the notebook and ApplyVerdicts lets
# the judge, in a process where no submission code ran, decide each graded cell's score
# before SaveAutoGrades; tampering is reported as a `manipulacion` incident.
# Containment and repair while autograding (tlcourse.grader.execution, tlcourse.grader.sanitize): nbgrader's
# own preprocessors in nbgrader's order, with two replaced. RepairCells replaces
# DeduplicateIds: duplicated, renamed or deleted cells no longer fail a whole submission
# (jupyter/nbgrader#1083). ContainedExecute replaces Execute: a kernel that dies (os._exit,
# memory watchdog) or a loop that ignores the interrupt costs only the cell where it
# happened; the kernel is restarted and the completed cells are replayed.
# Its memory and whole-notebook limits come from tlcourse.grader.limits too.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "tlcourse.grader.sanitize.RepairCells",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "tlcourse.grader.verdicts.JudgedExecute",
    "tlcourse.grader.verdicts.ApplyVerdicts",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.ContainedExecute.memory_limit_mb = LIMITS.memory_mb
c.ContainedExecute.notebook_timeout = LIMITS.notebook_s
c.ContainedExecute.max_kernel_restarts = 3
# Every grading kernel runs in a bubblewrap sandbox (tlcourse.grader.sandbox): no view of solutions/,
# gradebooks or other submissions, no network, an unprivileged user, limits on processes,
# CPU time, open files and file size. TLCOURSE_SANDBOX=0 (`tlcourse grade --no-sandbox`)
# runs submission code as the grading user; without bubblewrap kernels do not start.
c.ContainedExecute.sandbox = os.environ.get("TLCOURSE_SANDBOX", "1") != "0"
c.ApplyVerdicts.sandbox = c.ContainedExecute.sandbox  # the judge runs in a sandbox of its own too

# Feedback never shows hidden tests (jupyter/nbgrader#917, #1363): HideHiddenTests runs
# before nbgrader's own feedback preprocessors.
c.GenerateFeedback.preprocessors = [
    "tlcourse.grader.feedback.HideHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
