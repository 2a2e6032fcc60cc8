"""``tlcourse`` / ``python -m tlcourse``: every instructor and developer command of the course.

* ``doctor``: is this machine ready for the course?
* ``check NB``: self-check one notebook with the hidden tests (Spanish report).
* ``grade SUBMISSIONS``: grade a whole class in parallel (instructors).
* ``models``: retrain and export the course backbone into ``data/hub`` (``--card``: only
  rewrite its model card and manifest from ``metrics.json``).
* ``results``: recompute the shipped results in ``data/results/`` (learning curves, or
  ``--conditions``: the catálogo/campo comparison).
* ``finetune-study``, ``augment-study``: the studies behind notebook 04 (``benchmarks/``).
* ``serve``: the classroom hub server for the course models; ``verify``: check ``data/``
  and ``data/hub`` against their checksums.
* ``splits``: rewrite the fixed few-label subsets and the digits split.
* ``bench``: measure times, throughput and accuracies into ``benchmarks/``.
* ``bench-loaded``: grade every solution while CPU-bound processes keep the cores busy.
* ``kit``: build the student kit (a .zip to hand to a class); prints its path last.

The student's own check (Spanish, in the kit) stays ``python -m tlcourse.student_check``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _doctor(args: argparse.Namespace) -> int:
    """The students' environment report, then (for instructors) whether grading is sandboxed."""
    from tlcourse.doctor import SetupError, run
    from tlcourse.grader import sandbox

    try:
        run(verbose=True)
    except SetupError:
        return 1
    status = sandbox.status()
    print(f"Grading sandbox: {status.detail}" if status.ok else
          f"Grading sandbox: NOT available ({status.detail}); grading would refuse to run "
          "unless --no-sandbox. Install bubblewrap (make setup does it as root).")
    return 0


def _check(args: argparse.Namespace) -> int:
    from tlcourse.grader.selfcheck import CheckError, run

    try:
        print(run(args.notebook, Path(args.workdir) if args.workdir else None))
    except CheckError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    return 0


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from tlcourse.grader.classgrade import Settings

    return Settings(workers=args.workers, memory_limit_mb=args.memory_limit_mb,
                    cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                    threads_per_kernel=args.threads_per_kernel, feedback=not args.no_feedback,
                    progress=not args.quiet, sandbox=not args.no_sandbox, scheduler=args.scheduler,
                    dashboard=args.dashboard, resume=not args.regrade)


def _grade(args: argparse.Namespace) -> int:
    from tlcourse.grader.classgrade import GradingError, grade_class

    try:
        run = grade_class(Path(args.submissions), Path(args.out), _settings(args),
                          assignments=args.assignment or None, regexp=args.regexp,
                          keep_work=args.keep_work)
    except (GradingError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(run))
    return 0 if all(r.ok for r in run.results) else 1


def summary(run) -> str:  # type: ignore[no-untyped-def]
    """Instructor-facing summary of a grading run."""
    failed = [r for r in run.results if not r.ok]
    incidents = sum(len(r.incidents) for r in run.results)
    students = len({r.student for r in run.results})
    lines = [f"Graded {len(run.results)} notebooks of {students} students with {run.workers} workers "
             f"in {run.seconds:.0f} s ({run.throughput:.1f} notebooks/min).",
             f"Gradebook: {run.db_url}",
             f"Feedback:  {run.out / 'feedback'}"]
    lines += [f"{name.capitalize():10s} {path}" for name, path in run.reports.items()]
    if getattr(run, "resumed", 0):
        lines.append(f"Resumed: {run.resumed} notebooks already graded with the same content and course "
                     "version were not graded again (--regrade grades everything)")
    if not getattr(run, "sandboxed", True):
        lines.append("NOT SANDBOXED (--no-sandbox): submission code ran as you, with access to your "
                     "files and network; recorded in reports/sandbox.txt")
    if incidents:
        lines.append(f"{incidents} contained incidents (timeouts, dead kernels, memory): see incidents.csv")
    for result in failed:
        reason = result.incidents[0][2] if result.incidents else "no detail"
        lines.append(f"FAILED {result.student}/{result.assignment}: scored 0, flagged ({reason})")
    for skipped in run.skipped:
        lines.append(f"skipped {skipped}")
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> int:
    from tlcourse.build.bench import run_bench

    if args.repeats < 1:
        print(f"error: --repeats must be at least 1 (got {args.repeats}); nothing was measured", file=sys.stderr)
        return 2
    run_bench(Path(args.out), students=args.students, workers=args.workers,
              assignments=args.assignment or None, class_assignments=args.class_assignment or None,
              transfer=args.transfer, cell_timeout=args.cell_timeout, repeats=args.repeats)
    return 0


def _bench_loaded(args: argparse.Namespace) -> int:
    from tlcourse.build.loaded import run

    result = run(Path(args.out), busy_per_core=args.busy_per_core, assignments=args.assignment or None,
                 workers=args.workers)
    print((Path(args.out) / "results.md").read_text())
    return 0 if result["every_solution_full"] and result["loop_loses_only_its_exercise"] is not False else 1


def _kit(args: argparse.Namespace) -> int:
    from tlcourse.build.kit import STUDENT_MODULES, KitError, build_kit
    from tlcourse.paths import repo_root

    try:
        archive = build_kit(repo_root(), Path(args.out))
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Student kit: notebooks/, data/, {len(STUDENT_MODULES)} package modules, README.md (es).")
    print(archive)
    return 0


def _models(args: argparse.Namespace) -> int:
    from tlcourse.build.backbone import build_command

    return build_command(out=args.out, epochs=args.epochs, subset=args.subset, seed=args.seed,
                         transfer=args.transfer, quiet=args.quiet, card_only=args.card)


def _results(args: argparse.Namespace) -> int:
    from tlcourse.build.curves_sweep import results_command

    return results_command(conditions=args.conditions, save=args.save)


def _serve(args: argparse.Namespace) -> int:
    from tlcourse.hub import serve_command

    return serve_command(host=args.host, port=args.port, lan=args.lan, folder=args.dir, quiet=args.quiet)


def _verify(args: argparse.Namespace) -> int:
    from tlcourse import data, hub

    try:
        for name, digest in data.verify().items():
            print(f"OK  {name}  {digest}")
        print(hub.describe_backbone())
    except (data.DataError, hub.HubError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _splits(args: argparse.Namespace) -> int:
    from tlcourse import data, digits

    print(f"wrote {data.write_subsets()}")
    print(digits.write_split())
    return 0


def _finetune_study(args: argparse.Namespace) -> int:
    from tlcourse.build.finetune_study import study_command

    return study_command(settings=args.settings, seeds=args.seeds, record_file=args.record,
                         reference=args.reference, report=args.report, course=args.course,
                         merge=args.merge, list_settings=args.list)


def _augment_study(args: argparse.Namespace) -> int:
    from tlcourse.build.augment_study import study_command

    return study_command(models=args.models, k=args.k, seeds=args.seeds, record_file=args.record,
                         course=args.course)


def _build_parsers(sub: argparse._SubParsersAction) -> None:
    from tlcourse.build.backbone import DEFAULT_EPOCHS, SEED
    from tlcourse.hub import DEFAULT_PORT

    models = sub.add_parser("models", help="retrain and export the course backbone into data/hub",
                            description="Pretrain the course backbone on the source task, export it as a "
                                        "TF Hub SavedModel and write its metrics, model card and manifest.")
    models.add_argument("--out", type=Path, default=None, help="output folder (default: data/hub)")
    models.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"default {DEFAULT_EPOCHS}")
    models.add_argument("--subset", type=int, default=None, help="use only N source images (smoke test)")
    models.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")
    models.add_argument("--no-transfer", dest="transfer", action="store_false", help="skip the target-task table")
    models.add_argument("--quiet", action="store_true", help="no progress bar")
    models.add_argument("--card", action="store_true", help="only rewrite MODEL_CARD.md and the manifest "
                                                            "from metrics.json (weights and metrics untouched)")
    models.set_defaults(func=_models)
    results = sub.add_parser("results", help="recompute data/results/ (learning curves of notebook 04)")
    results.add_argument("--conditions", action="store_true",
                         help="recompute the k=20 comparison in both conditions (notebook 03) instead")
    results.add_argument("--no-save", dest="save", action="store_false", help="do not overwrite data/results/")
    results.set_defaults(func=_results)
    serve = sub.add_parser("serve", help="serve data/hub as TF Hub compressed handles (classroom server)")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument("--lan", action="store_true", help="listen on this machine's LAN address")
    serve.add_argument("--dir", type=Path, default=None, help="models folder (default data/hub)")
    serve.add_argument("--quiet", action="store_true", help="do not log requests")
    serve.set_defaults(func=_serve)
    study = sub.add_parser("finetune-study", help="the fine-tuning study behind notebook 04 (benchmarks/finetuning.md)",
                           description="Fine-tuned against a matched frozen control, settings x seeds; "
                                       "the record is benchmarks/finetuning.json.")
    study.add_argument("--settings", default="", help="comma-separated names (see --list)")
    study.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    study.add_argument("--record", type=Path, default=None, help="JSON record (default benchmarks/finetuning.json)")
    study.add_argument("--reference", action="store_true", help="measure the reference workload into the record")
    study.add_argument("--report", action="store_true", help="rewrite benchmarks/finetuning.md from the record")
    study.add_argument("--course", default="", help="settings copied to data/results/ajuste_fino_estudio.csv")
    study.add_argument("--merge", type=Path, nargs="*", default=[],
                       help="records of parallel runs to merge into --record (their runs win)")
    study.add_argument("--list", action="store_true", help="list the settings and exit")
    study.set_defaults(func=_finetune_study)
    augment = sub.add_parser("augment-study", help="the augmentation study behind notebook 04 (benchmarks/augmentation.json)",
                             description="Campo's shift as augmentation, with and without, paired arms per seed.")
    augment.add_argument("--models", default="frozen,scratch", help="comma-separated: frozen, scratch")
    augment.add_argument("--k", default="50", help="comma-separated images per class (default 50)")
    augment.add_argument("--seeds", default="", help="comma-separated seeds to run (e.g. 0,1,2)")
    augment.add_argument("--record", type=Path, default=None, help="JSON record (default benchmarks/augmentation.json)")
    augment.add_argument("--course", action="store_true", help="write data/results/aumentacion_estudio.csv from the record")
    augment.set_defaults(func=_augment_study)
    sub.add_parser("verify", help="check data/ and data/hub against their checksums").set_defaults(func=_verify)
    sub.add_parser("splits", help="rewrite data/target_subsets.json and data/digits_split.json"
                   ).set_defaults(func=_splits)


def _grade_parser(sub: argparse._SubParsersAction) -> None:
    from tlcourse.grader.limits import help_text

    grade = sub.add_parser("grade", help="grade a whole class (instructors)",
                           description="Autograde every submission in parallel, merge one gradebook, "
                                       "write feedback without hidden tests and grade reports.")
    grade.add_argument("submissions", help="folder or .zip: submitted/<student>/<id>/<id>.ipynb, "
                                           "<student>_<id>.ipynb files, or <student>/<id>.ipynb")
    grade.add_argument("--out", default="graded", help="course folder for the results (default: graded/)")
    grade.add_argument("--workers", type=int, default=0,
                       help="workers of the local Dask cluster (default: CPU cores)")
    grade.add_argument("--scheduler", help="grade on an existing Dask cluster, e.g. tcp://HOST:8786 "
                                           "(default: $TLCOURSE_SCHEDULER, else a local cluster)")
    grade.add_argument("--dashboard", help="address of the local cluster's Dask dashboard, e.g. :8787 "
                                           "(default: a free port; needs bokeh)")
    grade.add_argument("--regrade", action="store_true",
                       help="grade again submissions already graded with the same content and version")
    grade.add_argument("--memory-limit-mb", type=int, help=help_text("memory_mb"))
    grade.add_argument("--cell-timeout", type=int, help=help_text("cell_s"))
    grade.add_argument("--notebook-timeout", type=int, help=help_text("notebook_s"))
    grade.add_argument("--threads-per-kernel", type=int,
                       help="TensorFlow/OpenMP threads per kernel (default: cores / workers)")
    grade.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    grade.add_argument("--regexp", help="nbgrader FileNameCollector named_regexp for flat file names")
    grade.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    grade.add_argument("--keep-work", action="store_true", help="keep the local workers' scratch folders (.work/)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade even where the bubblewrap sandbox cannot run: submission code "
                            "then runs as you, with your files and network (recorded in the reports)")
    grade.set_defaults(func=_grade)


def _bench_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure times, class throughput and the transfer table")
    bench.add_argument("--out", default="benchmarks", help="where results.md/json go")
    bench.add_argument("--students", type=int, default=20, help="synthetic students (default 20)")
    bench.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    bench.add_argument("--assignment", action="append", help="time only this notebook (repeatable)")
    bench.add_argument("--class-assignment", action="append",
                       help="class-throughput run on this assignment only (default: every one)")
    bench.add_argument("--no-transfer", dest="transfer", action="store_false",
                       help="skip the transfer-learning table")
    bench.add_argument("--cell-timeout", type=int, help="per-cell timeout while grading the class")
    bench.add_argument("--repeats", type=int, default=3,
                       help="execute/autograde pairs per notebook; medians are reported (default 3)")
    bench.set_defaults(func=_bench)
    loaded = sub.add_parser("bench-loaded", help="grade every solution on a loaded machine (benchmarks/loaded/)",
                            description="Grade the solution of every notebook and an endless-loop submission as a "
                                        "class while CPU-bound processes keep every core busy; exit 1 if a solution "
                                        "lost a point or the loop lost more than its exercise.")
    loaded.add_argument("--out", default="benchmarks/loaded", help="where results.md/json go")
    loaded.add_argument("--busy-per-core", type=int, default=4, help="CPU-bound processes per core (default 4)")
    loaded.add_argument("--assignment", action="append", help="only this notebook (repeatable)")
    loaded.add_argument("--workers", type=int, help="grading workers (default: one per core)")
    loaded.set_defaults(func=_bench_loaded)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m tlcourse",
                                   description="Every instructor and developer command of the course.")
    sub = main.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the environment").set_defaults(func=_doctor)
    check = sub.add_parser("check", help="self-check one notebook (autoevaluación)",
                           description="Califica un cuaderno con las pruebas ocultas e informa por ejercicio.")
    check.add_argument("notebook", help="id de la tarea (p. ej. 00_entorno o 00) o ruta del cuaderno")
    check.add_argument("--workdir", help="carpeta para el curso temporal (por defecto, una temporal)")
    check.set_defaults(func=_check)
    _grade_parser(sub)
    _build_parsers(sub)
    _bench_parser(sub)
    kit = sub.add_parser("kit", help="build the student kit (.zip) and print its path",
                         description="The archive an instructor hands to a class: release notebooks, "
                                     "data, the student side of the package, environment files and a "
                                     "Spanish README. No solutions, hidden tests or grading code.")
    kit.add_argument("--out", default="dist", help="folder for the .zip (default: dist/)")
    kit.set_defaults(func=_kit)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)
