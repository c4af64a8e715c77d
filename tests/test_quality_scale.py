"""Every integration's ``quality_scale.yaml`` is complete and its claims are checkable.

The rule list is Home Assistant core's (``script/hassfest/quality_scale.py``,
``ALL_RULES``, as of HA 2026.10: GUIDE §6 plus ``docs-conditions`` and
``docs-triggers``, which core added in 2025 and every core integration's
file of 2026.10 carries). hassfest only validates these files for core
integrations, so this test does it for ours, and stricter:

- every rule is present (hassfest lets a file leave rules out);
- a status is ``done``, ``todo`` or ``exempt``, and an exempt rule has a
  comment giving the reason (hassfest's schema);
- a tier in ``manifest.json`` is only claimed when every rule of it and the
  tiers below is met (hassfest), and ``platinum`` never while one of its
  rules is only exempt (GUIDE §6: our clients live inside the integration,
  so those rules are not met the way core reads them);
- the ``documentation`` link is this repository's ``docs/<domain>.md``, the
  page exists, and each ``docs-*`` rule marked done has its section there.

Parametrized over the folders under ``custom_components/``, so an
integration added later is checked without touching this file.
"""

import json
from pathlib import Path
import re
from typing import Any

import homeassistant.components
from homeassistant.const import Platform
from homeassistant.util.yaml import load_yaml_dict
import pytest

ROOT = Path(__file__).parent.parent
COMPONENTS = sorted(
    path
    for path in (ROOT / "custom_components").iterdir()
    if path.is_dir() and not path.name.startswith((".", "_"))
)
DOCS_URL = (
    "https://github.com/energy-cloud-ha/energy-cloud-ha/blob/main/docs/{domain}.md"
)

TIERS = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}
ALL_RULES = [rule for rules in TIERS.values() for rule in rules]

# A docs-* rule marked done needs a ``##`` section on the page whose title
# contains one of these words (case-insensitive). docs-high-level-description
# is the text above the first section.
DOCS_SECTIONS = {
    "docs-actions": ("action",),
    "docs-conditions": ("condition",),
    "docs-triggers": ("trigger",),
    "docs-installation-instructions": ("install",),
    "docs-removal-instructions": ("remov",),
    "docs-configuration-parameters": ("option", "configuration"),
    "docs-installation-parameters": ("setup field", "installation parameter"),
    "docs-data-update": ("data update",),
    "docs-examples": ("example",),
    "docs-known-limitations": ("known limitation",),
    "docs-supported-devices": ("supported device",),
    "docs-supported-functions": ("supported function", "what it gives"),
    "docs-troubleshooting": ("troubleshoot",),
    "docs-use-cases": ("use case",),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


def _rules(component: Path) -> dict[str, Any]:
    path = component / "quality_scale.yaml"
    assert path.is_file(), f"{component.name} has no quality_scale.yaml"
    data = load_yaml_dict(path)
    assert set(data) == {"rules"}, f"unexpected top-level keys: {set(data)}"
    rules = data["rules"]
    assert isinstance(rules, dict)
    return rules


def _status(value: Any) -> str:
    return str(value["status"] if isinstance(value, dict) else value)


def test_rule_list_is_the_installed_home_assistant_one() -> None:
    """The list above is exactly the rules core's own files use.

    Every core integration's quality_scale.yaml in the installed
    ``homeassistant`` package lists every rule, so their union is core's
    list: a rule added by a newer Home Assistant fails here first.
    """
    assert len(ALL_RULES) == len(set(ALL_RULES)) == 54
    assert set(DOCS_SECTIONS) <= set(ALL_RULES)
    core = Path(homeassistant.components.__file__).parent
    used: set[str] = set()
    for path in core.glob("*/quality_scale.yaml"):
        used |= set(load_yaml_dict(path)["rules"])
    assert used == set(ALL_RULES)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_every_rule_present_and_exemptions_explained(component: Path) -> None:
    """Each of core's rules appears, with a valid status; exempt ones say why."""
    rules = _rules(component)
    assert sorted(set(ALL_RULES) - set(rules)) == [], "rules missing"
    assert sorted(set(rules) - set(ALL_RULES)) == [], "rules core does not know"
    for name, value in rules.items():
        if isinstance(value, dict):
            assert set(value) == {"status", "comment"}, name
            assert value["status"] in {"done", "todo", "exempt"}, name
            assert isinstance(value["comment"], str), name
            assert value["comment"].strip(), f"{name}: empty comment"
        else:
            assert value in {"done", "todo"}, (
                f"{name}: {value!r}; an exempt rule needs status and comment"
            )


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_manifest_tier_claim_holds(component: Path) -> None:
    """A claimed tier has every rule of it and below met.

    Platinum is never claimed while one of its rules is only exempt.
    """
    rules = _rules(component)
    manifest = json.loads((component / "manifest.json").read_text())
    claimed = manifest.get("quality_scale")
    if claimed is None:
        return
    assert claimed in TIERS, f"quality_scale {claimed!r} is not a tier"
    for tier, names in TIERS.items():
        unmet = [name for name in names if _status(rules.get(name, "todo")) == "todo"]
        assert unmet == [], f"{claimed} claimed, {tier} rules not met: {unmet}"
        if tier == claimed:
            break
    if claimed == "platinum":
        exempt = [
            n for n in TIERS["platinum"] if _status(rules.get(n, "todo")) == "exempt"
        ]
        assert exempt == [], f"platinum claimed with exempt rules {exempt}"


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_documentation_page_backs_the_docs_rules(component: Path) -> None:
    """The manifest links docs/<domain>.md, which has a section per done docs rule."""
    rules = _rules(component)
    manifest = json.loads((component / "manifest.json").read_text())
    domain = component.name
    assert manifest["documentation"] == DOCS_URL.format(domain=domain)
    page = ROOT / "docs" / f"{domain}.md"
    assert page.is_file(), f"docs/{domain}.md is missing"
    text = page.read_text()
    assert text.startswith("# "), "the page starts with its title"
    headings = [
        line[3:].strip().lower() for line in text.splitlines() if line.startswith("## ")
    ]
    intro = text.split("\n## ", 1)[0]
    if _status(rules.get("docs-high-level-description", "todo")) == "done":
        # A title and at least one real paragraph above the first section.
        assert len(re.findall(r"\w+", intro)) > 25, "no high-level description"
    missing = [
        rule
        for rule, words in DOCS_SECTIONS.items()
        if _status(rules.get(rule, "todo")) == "done"
        and not any(word in heading for heading in headings for word in words)
    ]
    assert missing == [], (
        f"docs/{domain}.md lacks a section for {missing} "
        f"(a '## ' heading containing one of {[DOCS_SECTIONS[r] for r in missing]})"
    )


def _code(component: Path) -> str:
    """The integration's own Python source (its vendored common/ left out)."""
    return "\n".join(
        path.read_text()
        for path in sorted(component.rglob("*.py"))
        if "common" not in path.relative_to(component).parts
    )


def _platform_modules(component: Path) -> list[Path]:
    """Entity platform modules: ``<platform>.py`` with ``async_setup_entry``."""
    platforms = {platform.value for platform in Platform}
    return [
        path
        for path in sorted(component.glob("*.py"))
        if path.stem in platforms and "async_setup_entry" in path.read_text()
    ]


def _evidence(component: Path) -> dict[str, tuple[bool, str]]:
    """For a rule marked done: whether the code shows it, and what was looked for.

    Literal traces only, like hassfest's own rule validators (config flow,
    reconfiguration flow, runtime data): a claim without its trace is false.
    """
    code = _code(component)
    flow = component / "config_flow.py"
    flow_code = flow.read_text() if flow.is_file() else ""
    manifest = json.loads((component / "manifest.json").read_text())
    english = json.loads((component / "translations" / "en.json").read_text())
    services = (component / "services.yaml").is_file()
    tests = ROOT / "tests" / component.name
    init = component / "__init__.py"
    init_code = init.read_text() if init.is_file() else ""
    return {
        "action-setup": (services, "services.yaml"),
        "docs-actions": (services, "services.yaml"),
        "action-exceptions": (
            services
            and ("ServiceValidationError" in code or "HomeAssistantError" in code),
            "services.yaml and ServiceValidationError/HomeAssistantError",
        ),
        "brands": ((component / "brand" / "icon.png").is_file(), "brand/icon.png"),
        "common-modules": (
            "DataUpdateCoordinator" not in code
            or any(component.rglob("coordinator.py")),
            "coordinator.py beside a DataUpdateCoordinator",
        ),
        "config-flow": (
            bool(flow_code) and manifest.get("config_flow") is True,
            "config_flow.py and config_flow: true",
        ),
        "config-flow-test-coverage": (
            (tests / "test_config_flow.py").is_file(),
            f"tests/{component.name}/test_config_flow.py",
        ),
        "test-coverage": (any(tests.glob("test_*.py")), f"tests/{component.name}/"),
        "config-entry-unloading": (
            "async_unload_entry" in init_code,
            "async_unload_entry",
        ),
        "devices": ("DeviceInfo(" in code, "DeviceInfo"),
        "diagnostics": ((component / "diagnostics.py").is_file(), "diagnostics.py"),
        "entity-unique-id": ("unique_id" in code, "unique_id"),
        "has-entity-name": (
            "_attr_has_entity_name = True" in code or "has_entity_name=True" in code,
            "has_entity_name",
        ),
        "runtime-data": ("runtime_data" in code, "entry.runtime_data"),
        "reauthentication-flow": (
            "async_step_reauth" in flow_code,
            "async_step_reauth",
        ),
        "reconfiguration-flow": (
            "async_step_reconfigure" in flow_code,
            "async_step_reconfigure",
        ),
        "repair-issues": (
            "async_create_issue" in code and bool(english.get("issues")),
            "async_create_issue and translated issues",
        ),
        "entity-category": ("EntityCategory." in code, "EntityCategory"),
        "entity-device-class": ("device_class" in code, "device_class"),
        "entity-disabled-by-default": (
            "entity_registry_enabled_default" in code,
            "entity_registry_enabled_default",
        ),
        "entity-translations": (bool(english.get("entity")), "en.json entity"),
        "exception-translations": (
            bool(english.get("exceptions")) and "translation_key" in code,
            "en.json exceptions and translation_key",
        ),
        "icon-translations": ((component / "icons.json").is_file(), "icons.json"),
        "parallel-updates": (
            all(
                "PARALLEL_UPDATES" in p.read_text()
                for p in _platform_modules(component)
            ),
            "PARALLEL_UPDATES in every platform module",
        ),
        "stale-devices": (
            "async_remove_config_entry_device" in code
            or "async_remove_device" in code
            or "async_update_device" in code,
            "device removal",
        ),
        "integration-owner": (bool(manifest.get("codeowners")), "codeowners"),
        "unique-config-entry": (
            "async_set_unique_id" in flow_code
            or "_async_abort_entries_match" in flow_code
            or manifest.get("single_config_entry") is True,
            "a unique id or single_config_entry",
        ),
        "test-before-setup": (
            "async_config_entry_first_refresh" in code
            or "ConfigEntryNotReady" in code
            or "ConfigEntryAuthFailed" in code,
            "a first refresh or ConfigEntryNotReady/AuthFailed",
        ),
        "inject-websession": (
            "async_get_clientsession" in code or "async_create_clientsession" in code,
            "Home Assistant's aiohttp session",
        ),
        "discovery": (
            bool(
                {"zeroconf", "ssdp", "dhcp", "usb", "bluetooth", "homekit", "mqtt"}
                & set(manifest)
            ),
            "a discovery key in manifest.json",
        ),
    }


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_done_rules_have_their_trace_in_the_code(component: Path) -> None:
    """A rule marked done shows in the code; actions are never exempt when offered."""
    rules = _rules(component)
    evidence = _evidence(component)
    unfounded = [
        f"{rule} (looked for {what})"
        for rule, (found, what) in evidence.items()
        if _status(rules.get(rule, "todo")) == "done" and not found
    ]
    assert unfounded == [], f"done without a trace: {unfounded}"
    if (component / "services.yaml").is_file():
        exempt = [
            rule
            for rule in ("action-setup", "docs-actions", "action-exceptions")
            if _status(rules.get(rule, "todo")) == "exempt"
        ]
        assert exempt == [], f"exempt although services.yaml offers actions: {exempt}"
