"""The grading limits, defined once: per cell, per notebook, per kernel's memory, per job.

Every grader reads them from here: ``grader_config.py`` (nbgrader's execution in every
grading process: ``make check``, class grading's workers, the tests), the sandbox, class
grading's settings and hard per-job limit, and the help of ``python -m tlcourse grade``.
A grading run passes its limits to workers as data (:meth:`GradingLimits.to_env` is the
last hop, into the nbgrader configuration of the worker's child process).

These are limits that contain a submission, not speed goals: those are
:data:`tlcourse.build.bench.BUDGETS` (measured by ``make bench``, never pass/fail).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

#: field -> (environment variable read by grader_config.py, what it limits)
SETTINGS = {
    "cell_s": ("TLCOURSE_CELL_TIMEOUT", "seconds a single cell may run: CPU seconds per core while "
                                        "autograding (the wall clock, 5x, only stops cells that hang)"),
    "notebook_s": ("TLCOURSE_NOTEBOOK_TIMEOUT", "seconds for a whole notebook (then the remaining cells "
                                                "score 0; 0: no limit)"),
    "memory_mb": ("TLCOURSE_KERNEL_MEMORY_MB", "memory per kernel in MB (RLIMIT_DATA + a watchdog; 0: none)"),
}


@dataclass(frozen=True)
class GradingLimits:
    """What one submission may use while it is graded."""

    #: The slowest graded cell takes seconds on 2 cores (``make bench``); 60 leaves room for
    #: slow machines and still stops an endless loop (that cell scores 0, the rest runs).
    cell_s: int = 60
    #: The slowest notebook runs in about a minute; 900 s is a hang guard for the whole notebook.
    notebook_s: int = 900
    #: The largest notebook stays below 2 GB (``make bench``); 4096 MB contains a runaway.
    memory_mb: int = 4096
    #: A job (kernel start-up, notebook, judge, feedback) is killed ``notebook_s`` + this
    #: margin after it started, whatever happens inside: the backstop behind every other limit.
    hard_margin_s: int = 300

    def hard_limit_s(self) -> float:
        """Seconds after which a grading job is killed and scored 0."""
        return float(self.notebook_s + self.hard_margin_s)

    def to_env(self) -> dict[str, str]:
        """The environment grader_config.py reads (:func:`from_env`)."""
        values = asdict(self)
        return {env: str(values[name]) for name, (env, _) in SETTINGS.items()}

    def with_overrides(self, **values: int | None) -> GradingLimits:
        """These limits with the given fields replaced (None keeps a field as it is)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GradingLimits:
        """Defaults, overridden by the environment variables of :data:`SETTINGS`."""
        env = os.environ if env is None else env
        found = {}
        for name, (variable, _) in SETTINGS.items():
            if env.get(variable, "").strip():
                try:
                    found[name] = int(env[variable])
                except ValueError:
                    raise ValueError(f"{variable}={env[variable]!r} is not a whole number") from None
        return cls(**found)


DEFAULT = GradingLimits()


def help_text(name: str) -> str:
    """``--help`` text of a limit: what it limits, its default and its environment variable."""
    variable, what = SETTINGS[name]
    default = {f.name: f.default for f in fields(GradingLimits)}[name]
    return f"{what} (default {default}, or ${variable})"
