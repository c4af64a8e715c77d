"""Each integration's published tree is a repository a user can add to HACS.

It holds one integration that installs and imports on its own, ``hacs.json``
with documented keys only, the documentation page as README, the LICENSE,
the validation workflows the ecosystem expects (hassfest, HACS) and a
release-note template.
"""

import json
from pathlib import Path
import re
import subprocess
import sys
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant.util.yaml import load_yaml_dict
import pytest

from scripts.publish import build

ROOT = Path(__file__).parent.parent
DOMAINS = sorted(
    path.name
    for path in (ROOT / "custom_components").iterdir()
    if path.is_dir() and not path.name.startswith((".", "_"))
)
# HACS's documented hacs.json keys (GUIDE §8), written out again here so that
# a key added to scripts/publish.py's list has to be justified in both places.
DOCUMENTED_HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}
# hassfest's manifest schema for custom integrations (script/hassfest/manifest.py
# of Home Assistant core): the keys it knows; any other key is an error.
HASSFEST_MANIFEST_KEYS = {
    "domain",
    "name",
    "integration_type",
    "config_flow",
    "mqtt",
    "zeroconf",
    "ssdp",
    "bluetooth",
    "homekit",
    "dhcp",
    "usb",
    "documentation",
    "quality_scale",
    "requirements",
    "dependencies",
    "after_dependencies",
    "codeowners",
    "loggers",
    "disabled",
    "iot_class",
    "single_config_entry",
    "preview_features",
    "version",
    "issue_tracker",
    "import_executor",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
# What HACS's manifest check requires of a custom integration.
HACS_MANIFEST_KEYS = {
    "domain",
    "name",
    "documentation",
    "issue_tracker",
    "codeowners",
    "version",
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


def _files(tree: Path) -> list[str]:
    """Every file of the tree outside custom_components/, relative."""
    return sorted(
        str(path.relative_to(tree))
        for path in tree.rglob("*")
        if path.is_file() and path.relative_to(tree).parts[0] != "custom_components"
    )


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("domain", DOMAINS)
def test_tree_is_a_hacs_repository(domain: str, tmp_path: Path) -> None:
    """The tree has exactly the files of an integration's own repository."""
    tree = build(domain, tmp_path)
    assert _files(tree) == [
        ".github/release.yml",
        ".github/workflows/validate.yml",
        "LICENSE",
        "README.md",
        "hacs.json",
    ]
    assert [p.name for p in (tree / "custom_components").iterdir()] == [domain]
    assert (tree / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()

    hacs = json.loads((tree / "hacs.json").read_text())
    assert set(hacs) <= DOCUMENTED_HACS_KEYS
    manifest = json.loads(
        (tree / "custom_components" / domain / "manifest.json").read_text()
    )
    assert hacs["name"] == manifest["name"]
    assert (
        hacs["homeassistant"]
        == json.loads((ROOT / "hacs.json").read_text())["homeassistant"]
    )
    assert set(manifest) >= HACS_MANIFEST_KEYS
    assert manifest["documentation"].startswith("https://")
    assert manifest["documentation"].endswith(f"/docs/{domain}.md")


@pytest.mark.parametrize("domain", DOMAINS)
def test_manifest_passes_hassfest_rules(domain: str) -> None:
    """What hassfest's manifest check rejects in a custom integration.

    Known keys only; domain, name, then alphabetical order; an https
    documentation URL that is not a core page; a valid IoT class, type and
    version; code owners as GitHub handles.
    """
    manifest = json.loads(
        (ROOT / "custom_components" / domain / "manifest.json").read_text()
    )
    keys = list(manifest)
    assert set(keys) <= HASSFEST_MANIFEST_KEYS, set(keys) - HASSFEST_MANIFEST_KEYS
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "keys after domain and name not sorted"
    assert manifest["domain"] == domain
    assert manifest["documentation"].startswith("https://")
    assert not manifest["documentation"].startswith(
        "https://www.home-assistant.io/integrations"
    )
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest.get("integration_type", "hub") in INTEGRATION_TYPES
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    AwesomeVersion(
        manifest["version"],
        ensure_strategy=[
            AwesomeVersionStrategy.CALVER,
            AwesomeVersionStrategy.SEMVER,
            AwesomeVersionStrategy.SIMPLEVER,
            AwesomeVersionStrategy.BUILDVER,
            AwesomeVersionStrategy.PEP440,
        ],
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_readme_is_the_documentation_page(domain: str, tmp_path: Path) -> None:
    """README.md is docs/<domain>.md (installation and removal included)."""
    tree = build(domain, tmp_path)
    readme = (tree / "README.md").read_text()
    page = (ROOT / "docs" / f"{domain}.md").read_text()
    assert readme.startswith(page.rstrip())
    assert "## Installation" in readme
    assert "## Removal" in readme
    assert "## License" in readme
    # Only this integration's page: no other vendor's section.
    others = [other for other in DOMAINS if other != domain]
    for other in others:
        assert f"custom_components/{other}/" not in readme


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("domain", DOMAINS)
def test_readme_links_resolve(domain: str, tmp_path: Path) -> None:
    """In-page links point at a heading, relative links at a file of the tree."""
    tree = build(domain, tmp_path)
    readme = (tree / "README.md").read_text()
    anchors = {
        _anchor(line.lstrip("#"))
        for line in readme.splitlines()
        if line.startswith("#")
    }
    for target in re.findall(r"\]\(([^)\s]+)\)", readme):
        if target.startswith(("https://", "http://")):
            continue
        if target.startswith("#"):
            assert target[1:] in anchors, f"no heading for {target}"
        else:
            assert (tree / target.split("#")[0]).exists(), f"no file {target}"


@pytest.mark.parametrize("domain", DOMAINS)
def test_validation_workflows(domain: str, tmp_path: Path) -> None:
    """Hassfest and HACS validation run as the integration blueprint runs them."""
    tree = build(domain, tmp_path)
    workflow = load_yaml_dict(tree / ".github" / "workflows" / "validate.yml")
    # YAML 1.1 reads the key "on" as True.
    triggers = next(value for key, value in workflow.items() if key in ("on", True))
    assert set(triggers) == {"workflow_dispatch", "schedule", "push", "pull_request"}
    assert workflow["permissions"] == {}
    uses = [step.get("uses", "") for step in _steps(workflow)]
    assert "home-assistant/actions/hassfest@master" in uses
    assert "actions/checkout@v4" in uses  # hassfest reads the checked-out tree
    (hacs_step,) = [s for s in _steps(workflow) if s.get("uses") == "hacs/action@main"]
    assert hacs_step["with"]["category"] == "integration"
    # Only the brands check is skipped, and only because the icon ships inside
    # the integration instead of home-assistant/brands.
    assert hacs_step["with"]["ignore"] == "brands"
    assert (tree / "custom_components" / domain / "brand" / "icon.png").is_file()


@pytest.mark.parametrize("domain", DOMAINS)
def test_release_note_template(domain: str, tmp_path: Path) -> None:
    """GitHub's release-note template groups changes, the rest at the end."""
    tree = build(domain, tmp_path)
    template = load_yaml_dict(tree / ".github" / "release.yml")
    categories = template["changelog"]["categories"]
    assert len(categories) >= 3
    for category in categories:
        assert category["title"]
        assert category["labels"]
    assert categories[-1]["labels"] == ["*"]
    assert any("breaking" in c["title"].lower() for c in categories)


@pytest.mark.parametrize("domain", DOMAINS)
def test_tree_is_self_contained(domain: str, tmp_path: Path) -> None:
    """A tree's integration imports without any other folder of this repository.

    Every module is imported from the tree alone, in a fresh interpreter
    that sees no other folder of this repository.
    """
    tree = build(domain, tmp_path)
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
