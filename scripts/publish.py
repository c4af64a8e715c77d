"""Build the installable tree of one integration (GUIDE §8).

HACS and HA's marketplace install one integration per repository, the first
folder under ``custom_components/``. This writes ``dist/<domain>/`` with just
that integration (its vendored ``common/`` included), its own ``hacs.json``,
a README made of its section of the main README, and the LICENSE: the
content of that integration's own repository.

    .venv/bin/python scripts/publish.py momentum_energi [--dest dist]
"""

import argparse
import json
from pathlib import Path
import shutil

ROOT = Path(__file__).resolve().parent.parent
HACS_KEYS = {
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


def readme_section(readme: str, title: str) -> str:
    """Return the ``## title`` section of the main README, up to the next one."""
    lines = readme.splitlines()
    start = lines.index(f"## {title}")
    end = next(
        (
            index
            for index in range(start + 1, len(lines))
            if lines[index].startswith("## ") or lines[index] == "---"
        ),
        len(lines),
    )
    return "\n".join(lines[start + 1 : end]).strip()


def build(domain: str, dest: Path) -> Path:
    """Write the tree of ``domain`` under ``dest`` and return its folder."""
    source = ROOT / "custom_components" / domain
    manifest = json.loads((source / "manifest.json").read_text())
    root_hacs = json.loads((ROOT / "hacs.json").read_text())
    tree = dest / domain
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(
        source,
        tree / "custom_components" / domain,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    hacs = {"name": manifest["name"], "homeassistant": root_hacs["homeassistant"]}
    assert set(hacs) <= HACS_KEYS
    (tree / "hacs.json").write_text(json.dumps(hacs, indent=2) + "\n")
    shutil.copy(ROOT / "LICENSE", tree / "LICENSE")
    section = readme_section((ROOT / "README.md").read_text(), manifest["name"])
    (tree / "README.md").write_text(
        f"# {manifest['name']} for Home Assistant\n\n{section}\n\n"
        "## Installation\n\n"
        f"With HACS: add this repository as a custom repository (type "
        f"*Integration*), install **{manifest['name']}**, restart Home Assistant. "
        f"By hand: copy `custom_components/{domain}/` into the `custom_components/` "
        "folder of your configuration directory and restart. Then **Settings → "
        f"Devices & services → Add integration → {manifest['name']}**. Requires "
        f"Home Assistant {root_hacs['homeassistant']} or newer.\n\n"
        "## Removal\n\n"
        f"**Settings → Devices & services → {manifest['name']} → ⋮ → Delete**, "
        "then delete the folder (or uninstall in HACS) and restart. Imported "
        "statistics stay until you delete them in **Developer tools → "
        "Statistics**.\n\n"
        "## License\n\nMIT, see `LICENSE`.\n"
    )
    return tree


def main() -> None:
    """Build the trees named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("domains", nargs="+")
    parser.add_argument("--dest", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    for domain in args.domains:
        print(f"publish: {build(domain, args.dest)}")


if __name__ == "__main__":
    main()
