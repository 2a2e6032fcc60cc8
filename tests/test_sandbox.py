"""Hostile submissions against the grading sandbox (tlcourse.grader.sandbox), end to end.

One small class of 00_entorno graded by the real grader (``classgrade.grade_class``, two
workers): two honest students and three hostile ones whose answer cells, before the real
solution, probe the sandbox and print what they find as one ``SONDA {json}`` line (read
back from the autograded notebooks):

* ``espia``: looks for the course files (solutions, tests, grader_config.py), the
  gradebooks, the other submissions and the instructor's home; writes outside its folder;
  connects to a listener the test opens on the host's loopback; lists its network
  interfaces; leaves daemons behind (``setsid``, double fork).
* ``recursos``: a CPU-spinning child process (ej2) and a bounded fork bomb (ej3): the bomb
  stops at the process limit and costs only its exercise; no process outlives the job.
* ``asesino``: ``kill(-1, SIGKILL)``, then kills its parent and every pid it can see (its
  own threads included, so it loses that exercise, and nothing else).

Plus faster direct tests of the command, the limits inside one kernel, a CPU-bound loop
that ignores interrupts, a kernel hunting for the judge that runs beside it, and the refusal
to grade without a sandbox. The bubblewrap tests are never skipped: CI installs bubblewrap
(``.ci/run``), and without it :func:`test_the_sandbox_works_on_this_machine` fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tlcourse.grader import classgrade, grading, sandbox, selfcheck
from tlcourse import cli
from tlcourse.grader.execution import ContainedExecute

A = "00_entorno"
HONEST = ["honesta", "honesto"]
MARK = f"tlcourse-sandbox-test-{uuid.uuid4().hex[:8]}"


# --------------------------------------------------------------------------- fast units
def test_the_sandbox_works_on_this_machine():
    """CI installs bubblewrap: the sandbox tests below must run, never be skipped."""
    status = sandbox.status()
    assert status.ok, status.message()


def test_the_command_shows_the_kernel_only_what_it_needs(tmp_path):
    repo = grading.repo_root()
    work, run = tmp_path / "autograded" / "ana" / A, tmp_path / "run"
    work.mkdir(parents=True)
    run.mkdir()
    command = sandbox.bwrap_command(["python", "-c", "pass"], work, run)
    for flag in ("--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in command
    binds = {command[i + 2]: command[i] for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind")}
    writable = {Path(p) for p, kind in binds.items() if kind == "--bind"}
    assert writable == {work.resolve(), run.resolve()}
    for path in map(Path, binds):  # nothing of the course but the package and the data
        if path.is_relative_to(repo.resolve()):
            assert path in {(repo / "src" / "tlcourse").resolve(), (repo / "data").resolve()} \
                or path.is_relative_to(Path(sys.prefix).resolve()), path
    assert str(Path.home()) not in binds and str(repo.resolve()) not in binds
    # /tmp is a private tmpfs, mounted before the host folders below /tmp that it would hide.
    assert command.index("/tmp") < command.index(str(work.resolve()))


def test_a_kernel_sees_only_the_student_side_of_the_package(tmp_path):
    staged = sandbox.stage_kernel_package(tmp_path)
    names = {p.relative_to(staged).with_suffix("").as_posix() for p in staged.rglob("*.py")}
    assert names == {*sandbox.kernel_modules(), f"grader/{sandbox.LAUNCHER.stem}"}
    assert {"grader/evidence", "grader/hidden_test_helpers", "hub", "data"} <= names
    assert not (staged / "build").exists() and not (staged / "grader" / "judges").exists()
    assert not names & {"grader/judging", "grader/verdicts", "grader/grading", "grader/classgrade", "cli"}
    command = sandbox.bwrap_command(["python"], tmp_path, tmp_path, package=staged)
    binds = [command[i:i + 3] for i, arg in enumerate(command) if arg == "--ro-bind"]
    assert ["--ro-bind", str(staged.resolve()), str(sandbox.package_dir())] in binds
    assert not any(b[1] == str(sandbox.package_dir()) for b in binds)  # the real package is not bound


def test_grading_kernels_are_sandboxed_unless_told_otherwise():
    from traitlets.config import Config

    assert ContainedExecute().kernel_manager_class is sandbox.SandboxedKernelManager
    config = Config()
    config.ContainedExecute.sandbox = False
    assert ContainedExecute(config=config).kernel_manager_class is not sandbox.SandboxedKernelManager


def test_a_kernel_never_gets_the_course_or_the_home_as_its_folder():
    for folder in (grading.repo_root(), Path.home(), Path("/")):
        with pytest.raises(sandbox.SandboxUnavailable, match="refusing"):
            sandbox._check_workdir(folder.resolve())


def test_grading_stops_without_a_sandbox_and_names_the_risk_and_the_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "status", lambda: sandbox.Status(False, "bwrap is not installed"))
    (tmp_path / "in").mkdir()
    with pytest.raises(classgrade.GradingError, match="--no-sandbox") as error:
        classgrade.grade_class(tmp_path / "in", tmp_path / "out", classgrade.Settings(progress=False))
    assert "run as you" in str(error.value) and "network" in str(error.value)
    assert cli.main(["grade", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "--no-sandbox" in capsys.readouterr().err
    assert not (tmp_path / "out" / "reports").exists()  # stopped before grading


def test_a_run_without_sandbox_is_recorded(tmp_path):
    assert classgrade.Settings(sandbox=False).environment(1)["TLCOURSE_SANDBOX"] == "0"
    assert classgrade.Settings().environment(1)["TLCOURSE_SANDBOX"] == "1"
    run = classgrade.ClassRun(tmp_path, "sqlite://", [], [], 1.0, 1, sandboxed=False)
    run.reports["sandbox"] = classgrade.write_sandbox_report(tmp_path / "reports", run)
    assert (tmp_path / "reports" / "sandbox.txt").read_text().startswith("sandbox: NO")
    assert "NOT SANDBOXED" in cli.summary(run)
    sandboxed = classgrade.ClassRun(tmp_path, "sqlite://", [], [], 1.0, 1, sandbox_detail="sandboxed: x")
    assert "NOT SANDBOXED" not in cli.summary(sandboxed)


def test_the_self_check_says_in_spanish_when_it_ran_without_sandbox():
    report = selfcheck.render(A, Path("x.ipynb"), [], sandboxed=False)
    assert selfcheck.SIN_AISLAMIENTO in report and "sin aislamiento" in report
    assert selfcheck.SIN_AISLAMIENTO not in selfcheck.render(A, Path("x.ipynb"), [])


# --------------------------------------------------------------------------- one kernel
def _run(tmp_path: Path, sources: list[str], **traits) -> list[list]:
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ContainedExecute(**traits).preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    return [cell.outputs for cell in notebook.cells]


def _text(outputs: list) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")


def _errors(outputs: list) -> list[str]:
    return [o.ename for o in outputs if o.get("output_type") == "error"]


@pytest.mark.slow
def test_limits_inside_one_kernel_and_nothing_survives_it(tmp_path):
    """Processes, CPU time, open files, file size: each fails inside its own cell."""
    outputs = _run(tmp_path, [
        "import os, subprocess, sys, time\nprint(os.getuid(), os.getcwd())",
        # a bounded fork bomb: stops at the process limit
        "hijos = []\nfor _ in range(300):\n    try:\n        pid = os.fork()\n    except OSError:\n"
        "        break\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    hijos.append(pid)\n"
        "print('forks', len(hijos))\nfor pid in hijos:\n    os.kill(pid, 9)\n    os.waitpid(pid, 0)",
        # a CPU-bound child is killed by RLIMIT_CPU
        "p = subprocess.Popen([sys.executable, '-c', 'while True: pass'])\nprint('cpu', p.wait(timeout=60))",
        "archivos = []\ntry:\n    while len(archivos) < 5000:\n        archivos.append(open('/dev/null'))\n"
        "finally:\n    [f.close() for f in archivos]",
        "open('grande.bin', 'wb').write(b'x' * 3 * 2**20)",
        f"subprocess.Popen(['sleep', '600'], start_new_session=True)\nprint('demonio')",
    ], timeout=90, process_limit=64, cpu_limit_s=2, open_files_limit=64, file_size_limit_mb=1)
    uid, cwd = _text(outputs[0]).split()
    assert int(uid) == sandbox.sandbox_uid() and Path(cwd) == tmp_path.resolve()
    forks = int(_text(outputs[1]).split()[1])
    assert 0 < forks < 64  # the kernel's own threads count too
    assert _text(outputs[2]).split()[1] in {str(-9), str(-24)}  # SIGKILL / SIGXCPU
    assert _errors(outputs[3]) == ["OSError"]  # too many open files
    assert _errors(outputs[4]) == ["OSError"]  # file too large
    assert (tmp_path / "grande.bin").stat().st_size <= 2**20
    assert "demonio" in _text(outputs[5])
    assert not [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and
                p.info["uids"].real == sandbox.sandbox_uid()], "a process of the kernel survived it"
    assert tmp_path.stat().st_uid == os.getuid()  # the working folder is given back


@pytest.mark.slow
def test_a_cpu_loop_that_ignores_interrupts_costs_only_its_cell(tmp_path):
    outputs = _run(tmp_path, [
        "x = 41",
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'while True: pass'], "
        "start_new_session=True)\nwhile True:\n    try:\n        while True:\n            pass\n"
        "    except BaseException:\n        pass",
        "print(x + 1)",
    ], timeout=5)
    assert "TiempoAgotado" in _errors(outputs[1])
    assert _text(outputs[2]).strip() == "42"  # a fresh kernel, completed cells replayed
    assert not [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and
                p.info["uids"].real == sandbox.sandbox_uid()], "the spinning child survived"



JUDGE_SEED = 918273645
#: A cell that hunts for the judge running beside it: its process, its command line and
#: environment (the seed), its pipe, its scratch folder.
HUNT = f"""
import glob, json, os
seen, seed_hits, pipes = [], 0, []
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for part in ('cmdline', 'environ'):
        try:
            text = open(f'/proc/{{pid}}/{{part}}', 'rb').read()
        except OSError:
            continue
        seen.append(text.replace(bytes(1), b' ').decode(errors='replace'))
        seed_hits += b'{JUDGE_SEED}' in text
    try:
        pipes += [os.readlink(f'/proc/{{pid}}/fd/{{fd}}') for fd in os.listdir(f'/proc/{{pid}}/fd')]
    except OSError:
        pass
print('CAZA', json.dumps({{'judge': any('judging' in t for t in seen), 'seed': seed_hits,
                          'scratch': glob.glob('/tmp/tlcourse-judge-*'), 'processes': len(seen) // 2}}))
"""


@pytest.mark.slow
def test_a_kernel_cannot_find_the_judge_running_beside_it(tmp_path):
    """The stream judge (its own sandbox, another uid) runs while the kernel does: the kernel
    sees neither its process nor its seed nor its scratch folder, and the judge still answers."""
    from tlcourse.grader import evidence
    from tlcourse.grader.judges import judge_for
    from tlcourse.grader.verdicts import JudgeProcess

    folder = tmp_path / "evidencia"
    folder.mkdir()
    evidence.save_challenge(folder, judge_for(A).challenge(JUDGE_SEED))
    judge = JudgeProcess(A, folder, JUDGE_SEED, sandbox=True)
    try:
        assert psutil.Process(judge.process.pid).is_running()
        found = json.loads(_text(_run(tmp_path, [HUNT])[0]).split("CAZA ", 1)[1])
        result = judge.result(timeout=300)
    finally:
        judge.stop()
    assert found == {"judge": False, "seed": 0, "scratch": [], "processes": found["processes"]}, found
    assert set(result["verdicts"]) == set(judge_for(A).PROBES)

# --------------------------------------------------------------------------- the class
SPY = '''
import errno, json, os, socket, subprocess, sys, time
def _probe(path):
    try:
        return sorted(os.listdir(path)) if os.path.isdir(path) else open(path, "rb").read(64).hex()
    except OSError as error:
        return type(error).__name__
def _write(path):
    try:
        with open(path, "w") as f:
            f.write("hackeado")
        return "ok"
    except OSError as error:
        return type(error).__name__
def _connect(port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect(("127.0.0.1", port))
        return "connected"
    except OSError as error:
        return type(error).__name__
    finally:
        s.close()
_server = socket.socket(); _server.bind(("127.0.0.1", 0)); _server.listen()
_found = {p: _probe(p) for p in READ}
_found.update({"../../..": _probe("../../.."), "../..": _probe("../.."), "/proc/1/cmdline": _probe("/proc/1/cmdline")})
_wrote = {p: _write(p) for p in WRITE}
_wrote["propio.txt"] = _write("propio.txt")
_daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", MARK], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", [MARK, "600"])  # argv[0] marks it
    os._exit(0)
time.sleep(0.5)
print("SONDA " + json.dumps({
    "daemon_alive": _daemon.poll() is None,
    "uid": os.getuid(), "read": _found, "wrote": _wrote,
    "host": _connect(PORT), "own_loopback": _connect(_server.getsockname()[1]),
    "interfaces": [n for _, n in socket.if_nameindex()],
    "proc_net": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]),
}))
'''

KILLER = '''
import json, os, signal, sys, time
_results = {}
try:
    os.kill(-1, signal.SIGKILL)
    _results["all"] = "ok"
except OSError as error:
    _results["all"] = type(error).__name__
try:
    os.kill(os.getppid(), signal.SIGKILL)
    _results["parent"] = "ok"
except OSError as error:
    _results["parent"] = type(error).__name__
print("SONDA " + json.dumps({"results": _results, "ppid": os.getppid()}))
sys.stdout.flush()
time.sleep(1)
for _pid in range(1, 70000):  # every pid it can see: its own threads too, so it dies here
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
'''

SPINNER = '''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "while True: pass", MARK], start_new_session=True)
'''

BOMB = '''
import os, shutil
_hijos = 0
_sleep = shutil.which("sleep")
for _ in range(2000):  # posix_spawn: a fork of a TensorFlow kernel is slow, this is not
    try:
        os.posix_spawn(_sleep, [MARK, "600"], os.environ)  # argv[0] marks it
        _hijos += 1
    except OSError:
        break
print("SONDA {\\"forks\\": %d}" % _hijos)
raise RuntimeError(f"bomba: {_hijos} procesos")  # the exercise's own code never runs
'''


def _answer_cells() -> dict[str, str]:
    """ejN -> grade_id of its (first) answer cell."""
    cells: dict[str, str] = {}
    for gid in grading.solution_cells(A):
        cells.setdefault(grading.exercise_of(gid), gid)
    return cells


def _course_files(repo: Path) -> dict[str, str]:
    """sha256 of every course file a submission must not change (caches excepted: the
    grader's own Python writes __pycache__ outside the sandbox)."""
    files = [repo / "grader_config.py"]
    for folder in ("solutions", "src", "data"):
        files += [p for p in (repo / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def _marked_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if MARK in " ".join(process.info.get("cmdline") or []):
            found.append(process)
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostil")
    repo, out = grading.repo_root(), root / "out"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    home_secret = Path.home() / f".{MARK}-secreto"
    home_secret.write_text("secreto del profesor")
    read = [str(repo / "solutions"), str(repo / "solutions" / A / f"{A}.ipynb"), str(repo / "tests"),
            str(repo / "grader_config.py"), str(repo / "gradebook.db"), str(home_secret),
            str(Path.home()), str(out / "gradebook.db"), str(out / "submitted"),
            str(out / "autograded"), str(root / "in"), "/etc/shadow",
            # the judges and the grader: the kernel sees only the student side of the package
            str(repo / "src" / "tlcourse" / "judges"), str(repo / "src" / "tlcourse" / "judging.py"),
            str(repo / "src" / "tlcourse" / "verdicts.py"), str(repo / "src" / "tlcourse" / "backbone.py")]
    write = [str(repo / "src" / "tlcourse" / "hackeo.py"), str(repo / "solutions" / "hackeo.txt"),
             str(repo / "data" / "hackeo.txt"), str(out / "hackeo.txt"), "../hackeo.txt",
             "../../../gradebook.db", f"/tmp/{MARK}-afuera.txt"]
    header = f"READ = {read!r}\nWRITE = {write!r}\nPORT = {listener.getsockname()[1]}\nMARK = {MARK!r}\n"
    cells, solutions = _answer_cells(), grading.solution_cells(A)
    plans = {
        "espia": {cells["ej1"]: header + SPY},
        "recursos": {cells["ej2"]: f"MARK = {MARK!r}\n" + SPINNER, cells["ej3"]: f"MARK = {MARK!r}\n" + BOMB},
        "asesino": {cells["ej1"]: KILLER},
    }
    notebooks = {student: grading.submission(A) for student in HONEST}  # full solutions
    for student, prefixes in plans.items():
        notebooks[student] = grading.submission(A, overrides={gid: code + "\n" + solutions[gid]
                                                              for gid, code in prefixes.items()})
    for student, notebook in notebooks.items():
        path = root / "in" / student / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, str(path))
    before = _course_files(repo)
    try:
        run = classgrade.grade_class(root / "in", out, classgrade.Settings(
            workers=2, feedback=False, progress=False), assignments=[A])
        try:
            listener.accept()
            accepted = True
        except BlockingIOError:
            accepted = False
        after = _course_files(repo)
        survivors = _marked_processes()
    finally:
        listener.close()
        home_secret.unlink()
        for process in _marked_processes():
            process.kill()
    probes = {}
    for student in plans:
        notebook = grading.read_notebook(out / "autograded" / student / A / f"{A}.ipynb")
        lines = [line for cell in notebook.cells for o in cell.get("outputs", [])
                 for line in o.get("text", "").splitlines() if line.startswith("SONDA ")]
        probes[student] = [json.loads(line[6:]) for line in lines]
    return {"run": run, "probes": probes, "accepted": accepted, "before": before, "after": after,
            "survivors": survivors, "out": out, "repo": repo, "write": write}


def _scores(run) -> dict[str, dict[str, grading.Score]]:
    from nbgrader.api import Gradebook

    with Gradebook(run.db_url) as gb:
        maxima = {c.name: float(c.max_score) for c in gb.find_notebook(A, A).grade_cells}
        return {s.student.id: grading.by_exercise({g.name: grading.Score(float(g.score or 0), maxima[g.name])
                                                  for n in s.notebooks for g in n.grades})
                for s in gb.assignment_submissions(A)}


@pytest.mark.slow
def test_the_class_run_survives_and_honest_students_get_full_marks(hostile):
    run = hostile["run"]
    assert sorted(r.student for r in run.results) == sorted(HONEST + ["espia", "recursos", "asesino"])
    assert all(r.ok for r in run.results), [(r.student, r.incidents) for r in run.results if not r.ok]
    scores = _scores(run)
    for student in HONEST + ["espia"]:
        assert all(s.full for s in scores[student].values()), (student, scores[student])
    # The killer's kill loop reaches its own threads: it loses the exercise where it did that.
    assert scores["asesino"]["ej1"].score == 0
    assert scores["asesino"]["ej2"].full and scores["asesino"]["ej3"].full
    assert (hostile["out"] / "reports" / "sandbox.txt").read_text().startswith("sandbox: yes")


@pytest.mark.slow
def test_a_spinning_child_and_a_fork_bomb_cost_only_their_exercise(hostile):
    scores = _scores(hostile["run"])["recursos"]
    assert scores["ej1"].full and scores["ej2"].full and scores["ej3"].score == 0
    [probe] = hostile["probes"]["recursos"]
    assert 0 < probe["forks"] < sandbox.PROCESS_LIMIT  # stopped by the process limit


@pytest.mark.slow
def test_the_kernel_finds_no_course_files_gradebooks_or_other_submissions(hostile):
    [probe] = hostile["probes"]["espia"]
    read = dict(probe["read"])
    home_view = read.pop(str(Path.home()))
    relatives = {key: read.pop(key) for key in ("../..", "../../..", "/proc/1/cmdline")}
    for path, found in read.items():
        assert found in ("FileNotFoundError", "PermissionError"), (path, found)
    # Of the home folder only the way to the Python installation exists (bound read-only).
    allowed = {Path(p).relative_to(Path.home()).parts[0] for p in (sys.base_prefix, sys.prefix)
               if Path(p).is_relative_to(Path.home())}
    assert home_view == "FileNotFoundError" or set(home_view) <= allowed, home_view
    assert read.get("/etc/shadow") == "PermissionError"
    assert relatives["../.."] == ["espia"]  # no other student's folder
    assert relatives["../../.."] == ["autograded"]  # no gradebook, no submitted/
    assert "bwrap" in bytes.fromhex(relatives["/proc/1/cmdline"]).decode(errors="replace")
    assert probe["uid"] != 0


@pytest.mark.slow
def test_writes_outside_the_working_folder_fail(hostile):
    [probe] = hostile["probes"]["espia"]
    wrote = probe["wrote"]
    assert wrote.pop("propio.txt") == "ok"
    assert wrote.pop(f"/tmp/{MARK}-afuera.txt") == "ok"  # its private /tmp ...
    assert not Path(f"/tmp/{MARK}-afuera.txt").exists()  # ... is not the host's
    assert all(result != "ok" for result in wrote.values()), wrote
    for path in hostile["write"]:
        if Path(path).is_absolute() and not path.startswith("/tmp/"):
            assert not Path(path).exists(), path
    assert hostile["before"] == hostile["after"]  # course files unchanged (checksums)


@pytest.mark.slow
def test_no_network_but_its_own_loopback(hostile):
    [probe] = hostile["probes"]["espia"]
    assert probe["host"] != "connected" and not hostile["accepted"]
    assert probe["own_loopback"] == "connected"  # notebook 05 serves files on it
    assert probe["interfaces"] == ["lo"] and probe["proc_net"] == ["lo"]


@pytest.mark.slow
def test_no_process_of_a_submission_outlives_its_job(hostile):
    [probe] = hostile["probes"]["espia"]
    assert probe["daemon_alive"]  # it was running during the job
    assert hostile["survivors"] == []


@pytest.mark.slow
def test_killing_from_inside_reaches_nothing_outside(hostile):
    """The class run went on (every student graded, see above); the kernel's parent is the
    sandbox's init, which it may not signal."""
    [probe] = hostile["probes"]["asesino"]
    assert probe["ppid"] == 1  # its parent is the sandbox's init, not the grader
    if sandbox.privileged():
        assert probe["results"]["parent"] == "PermissionError"
