"""`python -m space.pins`: pin space/requirements.txt to the versions installed here, the set
the tests ran with, so that every rebuild of the Space installs what was tested (a floor
alone takes each package's newest release). Gradio itself is space/README.md's sdk_version."""

import importlib.metadata
import re
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
CARD = Path(__file__).with_name("README.md")  # its sdk_version: the Space's Gradio
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(?P<extras>\[[^\]]*\])?\s*(?P<spec>[^#]*?)\s*(?P<comment>#.*)?$")


def requirements(text):
    """[(line number, name, comment or '')] of the requirement lines of a requirements file."""
    found = []
    for number, line in enumerate(text.splitlines()):
        if line.strip() and not line.lstrip().startswith("#"):
            match = REQUIREMENT.match(line.strip())
            if not match:
                raise ValueError(f"{REQUIREMENTS.name}:{number + 1}: not a requirement this tool understands: {line!r}")
            found.append((number, match["name"] + (match["extras"] or ""), match["comment"] or ""))
    return found


def pinned(text):
    """`text` with each requirement pinned to the installed version (==), comments kept."""
    lines = text.splitlines()
    for number, name, comment in requirements(text):
        version = importlib.metadata.version(name.split("[")[0])
        lines[number] = f"{name}=={version}" + (f"  {comment}" if comment else "")
    return "\n".join(lines) + "\n"


def with_sdk_version(card_text):
    """space/README.md's text with its sdk_version set to the installed Gradio's."""
    version = importlib.metadata.version("gradio")
    return re.sub(r"(?m)^sdk_version: .*$", f"sdk_version: {version}", card_text, count=1)


def main():
    try:
        REQUIREMENTS.write_text(pinned(REQUIREMENTS.read_text()))
        CARD.write_text(with_sdk_version(CARD.read_text()))
    except importlib.metadata.PackageNotFoundError as e:
        sys.exit(f"error: {e.name} is not installed here: install the app extra first (pip install '.[app]')")
    print(f"{REQUIREMENTS} and {CARD.name}'s sdk_version pinned to the installed versions")


if __name__ == "__main__":
    main()
