"""The project's own promises: CI runs the README's test command; app.py does not pretend."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    test_section = readme.split("## Test", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", test_section, re.S).group(1).strip()
    ci_lines = [l for l in (ROOT / ".ci" / "run").read_text().splitlines()
                if l.strip() and not l.startswith("#") and not l.startswith(("set ", "cd "))]
    assert ci_lines == [command]


def test_readme_code_structure_names_every_module():
    readme = (ROOT / "README.md").read_text()
    structure = readme.split("## Code structure", 1)[1]
    for path in list(ROOT.glob("hub/*.py")) + list(ROOT.glob("trainer/**/*.py")):
        if path.name != "__init__.py":
            assert path.name in structure, f"{path.relative_to(ROOT)} missing from README's Code structure"


def test_app_placeholder_says_it_is_not_built():
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "not built yet" in result.stderr
