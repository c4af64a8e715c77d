"""Each integration's published tree installs and imports on its own."""

import json
from pathlib import Path
import subprocess
import sys

import pytest

from scripts.publish import HACS_KEYS, build

ROOT = Path(__file__).parent.parent
DOMAINS = sorted(
    path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir()
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


@pytest.mark.parametrize("domain", DOMAINS)
def test_tree_is_self_contained(domain: str, tmp_path: Path) -> None:
    """A tree holds one integration whose imports never leave its folder.

    Every module is imported from the tree alone, in a fresh interpreter
    that sees no other folder of this repository.
    """
    tree = build(domain, tmp_path)
    assert sorted(p.name for p in tree.iterdir()) == [
        "LICENSE",
        "README.md",
        "custom_components",
        "hacs.json",
    ]
    assert [p.name for p in (tree / "custom_components").iterdir()] == [domain]
    hacs = json.loads((tree / "hacs.json").read_text())
    assert set(hacs) <= HACS_KEYS
    manifest = json.loads(
        (tree / "custom_components" / domain / "manifest.json").read_text()
    )
    assert hacs["name"] == manifest["name"]
    readme = (tree / "README.md").read_text()
    assert "### Setup fields" in readme
    assert "## Omnimetic" not in readme or domain == "omnimetic"
    modules = sorted(
        ".".join(path.relative_to(tree).with_suffix("").parts)
        for path in (tree / "custom_components" / domain).rglob("*.py")
    )
    script = (
        "import importlib, os, sys\n"
        "sys.path.insert(0, os.getcwd())\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        "    assert module.__file__.startswith(os.getcwd()), module.__file__\n"
        "assert 'common' not in sys.modules and 'simulators' not in sys.modules\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, '.')\n{script}",
            *modules,
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
