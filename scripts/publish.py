"""Build the installable repository of one integration (GUIDE §8).

HACS and HA's marketplace install one integration per repository, the first
folder under ``custom_components/``. This writes ``dist/<domain>/`` with the
content of that integration's own repository, ready to push:

- ``custom_components/<domain>/`` (its vendored ``common/`` included);
- ``hacs.json`` with documented keys only (GUIDE §8: HACS's schema is strict);
- ``README.md``: the integration's documentation page ``docs/<domain>.md``
  (the page its manifest links; HACS shows the README as the info page);
- ``LICENSE``;
- ``.github/workflows/validate.yml``: Home Assistant's hassfest action and
  HACS's validation action, as the community integration blueprint
  (``ludeeus/integration_blueprint``) runs them, on push, pull request, daily
  and by hand;
- ``.github/release.yml``: the template GitHub uses for a release's
  automatically generated notes (changes grouped by pull-request label).

HACS's validation also looks at settings that are not files: give the
repository a description and topics (e.g. ``home-assistant``, ``hacs``,
``integration``) and keep issues enabled.

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
"""The keys HACS documents for ``hacs.json``; any other key fails validation."""

VALIDATE_WORKFLOW = """\
name: Validate

on:
  workflow_dispatch:
  schedule:
    - cron: "0 0 * * *"
  push:
    branches:
      - main
  pull_request:
    branches:
      - main

permissions: {}

jobs:
  hassfest: # https://developers.home-assistant.io/blog/2020/04/16/hassfest
    name: Hassfest validation
    runs-on: ubuntu-latest
    steps:
      - name: Check out the repository
        uses: actions/checkout@v4

      - name: Run hassfest validation
        uses: home-assistant/actions/hassfest@master

  hacs: # https://github.com/hacs/action
    name: HACS validation
    runs-on: ubuntu-latest
    steps:
      - name: Run HACS validation
        uses: hacs/action@main
        with:
          category: integration
          # The icon ships in custom_components/{domain}/brand/; remove this
          # line once the domain is in https://github.com/home-assistant/brands.
          ignore: brands
"""

RELEASE_NOTES = """\
# Template of the automatically generated release notes
# https://docs.github.com/en/repositories/releasing-projects-on-github/automatically-generated-release-notes
changelog:
  exclude:
    labels:
      - skip-changelog
    authors:
      - dependabot
  categories:
    - title: Breaking changes (read before updating)
      labels:
        - breaking-change
    - title: New features
      labels:
        - new-feature
        - enhancement
    - title: Bug fixes
      labels:
        - bugfix
    - title: Documentation
      labels:
        - documentation
    - title: Other changes
      labels:
        - "*"
"""


def build(domain: str, dest: Path) -> Path:
    """Write the repository tree of ``domain`` under ``dest`` and return it."""
    source = ROOT / "custom_components" / domain
    manifest = json.loads((source / "manifest.json").read_text())
    root_hacs = json.loads((ROOT / "hacs.json").read_text())
    page_path = ROOT / "docs" / f"{domain}.md"
    if not page_path.is_file():
        raise FileNotFoundError(
            f"docs/{domain}.md is missing: write the integration's documentation "
            "page (its manifest links it; the published README is made from it)"
        )
    page = page_path.read_text()
    tree = dest / domain
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(
        source,
        tree / "custom_components" / domain,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    hacs = {"name": manifest["name"], "homeassistant": root_hacs["homeassistant"]}
    if unknown := set(hacs) - HACS_KEYS:
        raise ValueError(f"hacs.json keys HACS does not document: {unknown}")
    (tree / "hacs.json").write_text(json.dumps(hacs, indent=2) + "\n")
    shutil.copy(ROOT / "LICENSE", tree / "LICENSE")
    (tree / "README.md").write_text(
        f"{page.rstrip()}\n\n## License\n\nMIT, see [LICENSE](LICENSE).\n"
    )
    workflows = tree / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "validate.yml").write_text(
        VALIDATE_WORKFLOW.replace("{domain}", domain)
    )
    (tree / ".github" / "release.yml").write_text(RELEASE_NOTES)
    return tree


def main() -> None:
    """Build the trees named on the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("domains", nargs="+")
    parser.add_argument("--dest", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    for domain in args.domains:
        print(f"publish: {build(domain, args.dest)}")


if __name__ == "__main__":
    main()
