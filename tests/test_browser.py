"""The student's path in a real browser: JupyterLab, nbgrader's Validate button, formgrader.

One JupyterLab server for the module, started by the repository's own ``make lab`` (with
``LAB_ARGS``) in a copy of the course (the working tree is never touched), driven by
Selenium in Debian's headless Chromium (``chromium`` and ``chromium-driver``: ``make setup``
installs them when it can, ``.ci/run`` always does). Selenium Manager never runs: the
driver's path is given and ``SE_OFFLINE`` is set.

Cases: the blank release of 00 (Validate lists the failing test cells), a correct copy of
00 (Validate says "Success!"), notebook 03 opened and its first cells run and saved,
formgrader from the Nbgrader menu; and afterwards the release-sync test passes on the copy
that JupyterLab and Validate have rewritten.

On failure a screenshot and the page source are saved under pytest's tmp folder; the
failure report prints their paths (and the server log's).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import assignments
from tlcourse.grader import grading

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Headless, and nothing that tries to reach Google's hosts from a closed network.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic", "--window-size=1400,1000"]
#: Nor from JupyterLab: no news feed, no update check.
OFFLINE_LAB_ARGS = ["--LabApp.news_url=None",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
BLANK = "00_entorno"
FIRST_CELLS = "03_extraccion_caracteristicas"
SOLVED_PATH = f"alumna/{BLANK}/{BLANK}.ipynb"  # a correct copy, outside notebooks/
READY_S = 180        # server up, notebook open with an idle kernel
VALIDATE_S = 300     # nbgrader runs the whole notebook


# --------------------------------------------------------------------------- set-up
def _require_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    message = (f"missing {', '.join(missing)}: `apt-get install chromium chromium-driver` "
               "(`make setup` does it when run as root)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_course(repo: Path, target: Path) -> Path:
    """The working tree as git sees it (tracked and untracked, not ignored), or, outside git,
    everything but environments, caches and nbgrader's working folders."""
    listed = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        for name in listed.stdout.decode().split("\0"):
            source = repo / name
            if name and source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(repo, target, ignore=shutil.ignore_patterns(
            ".git", ".venv", ".cache", "__pycache__", ".ipynb_checkpoints", "*.db", "submitted",
            "autograded", "feedback", "graded", ".pytest_cache"))
    return target


class Lab:
    """A JupyterLab server started by ``make lab`` in a course folder."""

    def __init__(self, root: Path, logs: Path) -> None:
        self.root, self.logs = root, logs
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = logs / "lab.log"
        env = {**os.environ}
        for name, folder in (("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config"),
                             ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                             ("JUPYTERLAB_WORKSPACES_DIR", "workspaces")):
            env[name] = str(logs / folder)  # nothing from or to the user's ~/.jupyter
        lab_args = " ".join(["--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                             f"--IdentityProvider.token={self.token}", *OFFLINE_LAB_ARGS])
        # The Makefile's own target; the environment running the tests stands for .venv
        # (-o: never reinstall it from here).
        command = ["make", "-s", "-C", str(root), "-o", ".venv/.installed", "lab",
                   f"BIN={Path(sys.executable).parent}", f"LAB_ARGS={lab_args}"]
        self.process = subprocess.Popen(command, cwd=root, env=env, stdout=self.log.open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"make lab exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                self.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not answer in {READY_S} s; log: {self.log}")
                time.sleep(0.5)

    def url(self, path: str) -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, method: str, path: str):  # type: ignore[no-untyped-def]
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=30) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def kernel_state(self, notebook: str) -> str | None:
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == notebook and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # make, jupyter and its kernels
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def course(repo, tmp_path_factory):
    root = copy_course(repo, tmp_path_factory.mktemp("browser") / "course")
    solved = root / SOLVED_PATH
    solved.parent.mkdir(parents=True)
    nbformat.write(grading.submission(BLANK), str(solved))
    return root


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    server = Lab(course, tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    offline = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser
    profile = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile / 'profile'}"]:
        options.add_argument(flag)
    service = Service(str(CHROMEDRIVER), log_output=str(profile / "chromedriver.log"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(READY_S)
    yield browser
    browser.quit()
    if offline is None:
        os.environ.pop("SE_OFFLINE", None)
    else:
        os.environ["SE_OFFLINE"] = offline


@pytest.fixture(scope="module")
def evidence(driver, lab, tmp_path_factory):
    """``with evidence("name"):`` saves a screenshot and the page source if the block fails."""
    folder = tmp_path_factory.mktemp("screenshots")

    @contextlib.contextmanager
    def capture(name: str):  # type: ignore[no-untyped-def]
        try:
            yield
        except BaseException:
            shot, page = folder / f"{name}.png", folder / f"{name}.html"
            try:
                driver.save_screenshot(str(shot))
                page.write_text(driver.page_source)
            except Exception as error:  # the browser itself may be what failed
                print(f"no screenshot ({error})")
            print(f"screenshot: {shot}\npage source: {page}\nJupyterLab log: {lab.log}")
            raise

    return capture


# --------------------------------------------------------------------------- browser helpers
def _wait(driver, seconds: float, condition, message: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.5).until(condition, message)


def _css(selector: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return (By.CSS_SELECTOR, selector)


def open_notebook(driver, lab: Lab, path: str, workspace: str):  # type: ignore[no-untyped-def]
    """Open ``path`` in its own JupyterLab workspace; return once its kernel is idle."""
    from selenium.webdriver.support import expected_conditions as EC

    driver.get(lab.url(f"/lab/workspaces/{workspace}/tree/{path}"))
    _wait(driver, READY_S, EC.element_to_be_clickable(_css(".jp-NotebookPanel-toolbar .validate-button")),
          f"no Validate button in the toolbar of {path} (nbgrader's lab extension)")
    _wait(driver, READY_S, lambda d: lab.kernel_state(path) == "idle", f"no idle kernel for {path}")
    _wait(driver, READY_S, EC.presence_of_element_located(
        _css('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]')),
          f"the notebook {path} does not show an idle kernel")


def validate(driver) -> dict:  # type: ignore[no-untyped-def]
    """Click Validate; the dialog's outcome class, text and the sources of failing cells."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    driver.find_element(*_css(".jp-NotebookPanel-toolbar .validate-button")).click()
    message = _wait(driver, VALIDATE_S, EC.visibility_of_element_located(_css(".jp-Dialog #validation-message")),
                    "Validate showed no result dialog")
    parts = message.find_elements(By.XPATH, "./*")
    failing = [parts[i + 1].text for i, part in enumerate(parts[:-1])
               if part.text.strip() == "The following cell failed:"]
    result = {"classes": set(message.get_attribute("class").split()), "text": message.text,
              "failing": failing}
    driver.find_element(*_css(".jp-Dialog .jp-mod-accept")).click()
    _wait(driver, 30, EC.invisibility_of_element_located(_css(".jp-Dialog")), "the dialog did not close")
    return result


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines() if line.strip()]


def _test_cells(notebook) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """grade_id -> source of the test cells (graded, not a solution) of a notebook."""
    return {gid: cell.source for gid, cell in grading.cells_by_id(notebook).items()
            if cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get("solution")
            and cell.cell_type == "code"}


# --------------------------------------------------------------------------- actions (shared)
@pytest.fixture(scope="module")
def blank_validation(driver, lab, evidence):
    path = f"notebooks/{BLANK}/{BLANK}.ipynb"
    with evidence("blank_validation"):
        open_notebook(driver, lab, path, "blank")
        result = validate(driver)
    lab.shut_down_kernels()
    return result


@pytest.fixture(scope="module")
def first_cells_run(driver, lab, course, evidence):
    """Open 03, run its first four code cells with Shift+Enter as a student does, save."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = f"notebooks/{FIRST_CELLS}/{FIRST_CELLS}.ipynb"
    notebook = grading.read_notebook(course / path)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"][:4]
    with evidence("first_cells_run"):
        open_notebook(driver, lab, path, "first-cells")

        def cell(index: int):  # type: ignore[no-untyped-def]
            # JupyterLab renders long notebooks lazily; each rendered cell carries its index.
            return driver.find_element(*_css(f'.jp-NotebookPanel .jp-Cell[data-windowed-list-index="{index}"]'))

        cell(0).find_element(*_css(".jp-InputPrompt")).click()
        keys = ActionChains(driver)
        for _ in range(code[-1] + 1):
            keys.key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)
        keys.perform()

        def finished(_):  # type: ignore[no-untyped-def]
            for i in code:  # a failing cell stops the queue: say so now, not at the timeout
                outputs = "\n".join(o.text for o in cell(i).find_elements(*_css(".jp-OutputArea-output")))
                assert "Traceback" not in outputs, f"cell {i} of {path} failed:\n{outputs[-1500:]}"
            prompts = [cell(i).find_element(*_css(".jp-InputArea-prompt")).text for i in code]
            return all(p.strip() not in ("[ ]:", "[*]:", "") for p in prompts) and lab.kernel_state(path) == "idle"

        _wait(driver, VALIDATE_S, finished, f"cells {code} of {path} did not finish running")
        shown = {i: {"prompt": cell(i).find_element(*_css(".jp-InputArea-prompt")).text,
                     "text": "\n".join(o.text for o in cell(i).find_elements(*_css(".jp-OutputArea-output"))),
                     "images": len(cell(i).find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img"))}
                 for i in code}
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()

        def saved(_):  # type: ignore[no-untyped-def]
            try:
                on_disk = grading.read_notebook(course / path)
            except Exception:  # being written
                return False
            return all(on_disk.cells[i].execution_count is not None for i in code)

        _wait(driver, 60, saved, "Ctrl+S did not save the run to disk")
    lab.shut_down_kernels()
    return notebook, shown


# --------------------------------------------------------------------------- tests
def test_validate_lists_the_failing_cells_of_the_blank_release(blank_validation, course, evidence):
    with evidence("blank_release_asserts"):
        release = grading.read_notebook(course / "notebooks" / BLANK / f"{BLANK}.ipynb")
        tests = _test_cells(release)
        assert "validation-failed" in blank_validation["classes"], blank_validation["text"][:500]
        assert blank_validation["failing"], blank_validation["text"][:500]
        failing_ids = set()
        for shown in blank_validation["failing"]:
            match = [gid for gid, source in tests.items() if _lines(source) == _lines(shown)]
            assert match, f"the dialog lists a cell that is not a test cell of the release:\n{shown}"
            failing_ids.update(match)
        exercises = {grading.exercise_of(gid) for gid in tests}
        assert {grading.exercise_of(gid) for gid in failing_ids} == exercises, (
            "an unanswered exercise must fail at least one of its tests")


def test_validate_says_success_on_a_correct_copy(driver, lab, evidence):
    with evidence("solved_validation"):
        open_notebook(driver, lab, SOLVED_PATH, "solved")
        result = validate(driver)
        lab.shut_down_kernels()
        assert "validation-success" in result["classes"], result["text"][:2000]
        assert "Success!" in result["text"] and not result["failing"]


def test_notebook_03_runs_its_first_cells(first_cells_run, evidence):
    notebook, shown = first_cells_run
    with evidence("first_cells_asserts"):
        for index, seen in shown.items():
            source = notebook.cells[index].source
            assert seen["prompt"].strip().strip("[]:").isdigit(), (index, seen["prompt"])
            assert "Traceback" not in seen["text"], (index, seen["text"][:1000])
            if "print(" in source:
                assert seen["text"].strip(), f"cell {index} prints but shows no output"
            if "show_images(" in source:
                assert seen["images"] >= 1, f"cell {index} draws images but shows none"
        assert any("print(" in notebook.cells[i].source for i in shown), "the first cells print something"


def test_formgrader_lists_the_course_for_the_instructor(driver, lab, evidence):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    with evidence("formgrader"):
        driver.get(lab.url("/lab/workspaces/formgrader/tree/notebooks"))
        menu = _wait(driver, READY_S, EC.element_to_be_clickable(
            (By.XPATH, "//*[contains(@class,'lm-MenuBar-itemLabel') and normalize-space()='Nbgrader']")),
            "no Nbgrader menu in JupyterLab's menu bar")
        menu.click()
        _wait(driver, 30, EC.element_to_be_clickable(
            (By.XPATH, "//*[contains(@class,'lm-Menu-itemLabel') and normalize-space()='Formgrader']")),
            "no Formgrader item in the Nbgrader menu").click()
        frame = _wait(driver, READY_S, EC.presence_of_element_located(_css("iframe")), "formgrader opened no frame")
        driver.switch_to.frame(frame)
        try:
            _wait(driver, READY_S, EC.presence_of_element_located(
                (By.XPATH, f"//td[normalize-space()='{assignments()[-1]}']")), "formgrader lists no assignment")
            names = {cell.text.strip() for cell in driver.find_elements(By.CSS_SELECTOR, "td")}
            assert "Manage Assignments" in driver.find_element(By.TAG_NAME, "body").text
        finally:
            driver.switch_to.default_content()
        assert set(assignments()) <= names, sorted(names)


def test_the_release_stays_in_sync_after_jupyterlab_and_validate(repo, course, blank_validation,
                                                                  first_cells_run, tmp_path):
    """Opening, running, saving and validating rewrote notebooks in the copy; the copy's own
    release-sync test still passes (what kernels and JupyterLab rewrite is not a change)."""
    touched = [f"notebooks/{BLANK}/{BLANK}.ipynb", f"notebooks/{FIRST_CELLS}/{FIRST_CELLS}.ipynb"]
    for name in touched:
        assert (course / name).read_bytes() != (repo / name).read_bytes(), f"{name} was not rewritten"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
         "tests/test_release.py", "-k", "in_sync", f"--basetemp={tmp_path / 'sync'}"],
        cwd=course, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"{len(assignments())} passed" in result.stdout, result.stdout[-2000:]
