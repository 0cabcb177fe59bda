"""The project's own promises: CI runs the README's test command; the README is short and
the docs hold the rest, with links that resolve, commands whose options exist, code that
runs and claims that name real tests; docs/architecture.md names every module; app.py
documents its options."""

import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def heading_anchor(heading):
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def prose(page):
    """A page without its code blocks."""
    return re.sub(r"```.*?```", "", page.read_text(), flags=re.S)


def documented_commands():
    """(page name, argv) of every `python -m MODULE ...` and `python app.py ...` in the bash
    blocks of the README and docs, continuation lines joined and comments dropped."""
    for page in PAGES:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(), re.S):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                words = shlex.split(line, comments=True)
                command = []
                for word in [*words, "&&"]:
                    if word in ("&&", "||", ";", "|"):
                        while command and re.fullmatch(r"[A-Z_]+=.*", command[0]):  # VAR=value before it
                            command.pop(0)
                        if command[:2] == ["python", "-m"] and command[2] != "pytest" or command[:2] == ["python", "app.py"]:
                            yield page.name, command
                        command = []
                    else:
                        command.append(word)


def help_text(program):
    result = subprocess.run([sys.executable, *program, "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, (program, result.stderr[-2000:])
    return result.stdout


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_section = readme.split("## Test", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", test_section, re.S).group(1).strip()
    ci_lines = [l for l in (ROOT / ".ci" / "run").read_text().splitlines()
                if l.strip() and not l.startswith("#") and not l.startswith(("set ", "cd ", "export "))]
    assert ci_lines[-1] == command  # after installing what pip cannot (Chromium)
    assert all("apt-get install" in l for l in ci_lines[:-1])


def test_the_readme_is_a_front_door_of_at_most_300_lines():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 300
    for section in ["## Install", "## Run", "## Test", "## Quick start", "## Where to go next"]:
        assert f"\n{section}\n" in readme, section


def mapped_paths(structure):
    """The paths the module map names: its tree of two-space indents, folders ending in /."""
    block = structure.split("```", 2)[1]
    folders, paths = [], set()
    for line in block.splitlines():
        if not line.strip():
            continue
        depth, name = (len(line) - len(line.lstrip())) // 2, line.split()[0]
        folders[depth:] = [name.rstrip("/")] if name.endswith("/") else []
        paths.add("/".join([*folders[:depth], *([] if name.endswith("/") else [name])]))
    return paths


def test_docs_architecture_names_every_module_at_its_path():
    structure = (ROOT / "docs" / "architecture.md").read_text().split("## Code structure", 1)[1]
    named = mapped_paths(structure)
    for path in [*ROOT.glob("hub/*.py"), *ROOT.glob("trainer/**/*.py"), *ROOT.glob("space/*.py"),
                 *ROOT.glob("tests/**/*.py")]:
        if path.name.startswith("test_") or path.name in ("conftest.py", "__init__.py"):
            continue
        assert path.relative_to(ROOT).as_posix() in named, f"{path.relative_to(ROOT)} missing from docs/architecture.md"


def test_every_link_between_the_pages_resolves_to_a_file_and_heading():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(page)):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", prose(linked), re.M)
                assert anchor in {heading_anchor(h) for h in headings}, f"{page.name}: {target}"


def test_every_test_the_app_claims_name_exists():
    claims = (ROOT / "docs" / "app.md").read_text().split("## Claims and the tests that hold them", 1)[1]
    named = re.findall(r"`(tests/test_\w+\.py)::(test_\w+)`", claims)
    assert len(named) > 50
    for file, test in named:
        assert re.search(rf"^def {test}\(", (ROOT / file).read_text(), re.M), f"{file}::{test}"


def test_the_python_in_the_readme_and_docs_compiles():
    for page in PAGES:
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S)):
            compile(block, f"{page.name}, python block {number}", "exec")


@pytest.mark.slow
def test_every_documented_command_takes_the_options_it_is_shown_with():
    commands = []
    for page, command in documented_commands():
        program = ("app.py",) if command[1] == "app.py" else tuple(command[1:3])
        if len(command) > 3 and not command[3].startswith("-"):
            program += (command[3],)  # a subcommand, or a positional argument that --help ignores
        commands.append((page, command, program))
    assert len(commands) > 40
    programs = sorted({program for _, _, program in commands})
    with concurrent.futures.ThreadPoolExecutor(4) as pool:  # each --help is a process of its own
        shown_by = dict(zip(programs, pool.map(help_text, programs)))
    for page, command, program in commands:
        shown = shown_by[program]
        for option in (word.split("=")[0] for word in command if word.startswith("--")):
            assert re.search(rf"{re.escape(option)}\b", shown), f"{page}: {option} is not an option of {program}"


@pytest.mark.slow
def test_the_readme_quick_start_runs_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    bash_blocks = re.findall(r"```bash\n(.*?)```", quick_start, re.S)
    python_block = re.search(r"```python\n(.*?)```", quick_start, re.S).group(1)
    for name in ("docs", "space"):  # run from a checkout, as the README says, but writing elsewhere
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    demo = subprocess.run(["bash", "-ec", bash_blocks[0]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert demo.returncode == 0, demo.stderr[-3000:]
    library = subprocess.run([sys.executable, "-c", python_block], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
    assert library.returncode == 0, library.stderr[-3000:]
    from PIL import Image
    photo = Image.open(ROOT / "docs" / "photos" / "astronaut.jpg")
    for made in ("translated/astronaut.png", "astronaut-2d.png"):
        assert Image.open(tmp_path / made).size == photo.size, made
    assert Image.open(tmp_path / "coffee-cel.png").size == Image.open(ROOT / "docs" / "photos" / "coffee.jpg").size
    assert "2d" in library.stdout  # the styles it printed


@pytest.mark.slow
def test_app_help_lists_its_options():
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    for option in ["--cyclegan", "--caae", "--port", "--host", "--share", "--max-video-seconds"]:
        assert option in result.stdout


def test_app_options_replace_the_environment(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import app

    monkeypatch.setenv("STYLE_CYCLEGAN", "ana/one, ana/two")
    assert app.parse_args([]).cyclegan == ["ana/one", "ana/two"]
    assert app.parse_args(["--cyclegan", "ana/three"]).cyclegan == ["ana/three"]
