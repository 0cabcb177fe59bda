"""The project's own promises: CI runs the README's test command, the README names every
module, app.py documents its options."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_section = readme.split("## Test", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", test_section, re.S).group(1).strip()
    ci_lines = [l for l in (ROOT / ".ci" / "run").read_text().splitlines()
                if l.strip() and not l.startswith("#") and not l.startswith(("set ", "cd ", "export "))]
    assert ci_lines[-1] == command  # after installing what pip cannot (Chromium)
    assert all("apt-get install" in l for l in ci_lines[:-1])


def test_readme_code_structure_names_every_module():
    readme = (ROOT / "README.md").read_text()
    structure = readme.split("## Code structure", 1)[1]
    for path in [*ROOT.glob("hub/*.py"), *ROOT.glob("trainer/**/*.py"), *ROOT.glob("space/*.py"),
                 *ROOT.glob("tests/**/*.py")]:
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        if path.name != "__init__.py":
            assert path.name in structure, f"{path.relative_to(ROOT)} missing from README's Code structure"


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
