"""Translations of every integration: well-formed, complete, and what the code uses.

hassfest (``script/hassfest`` of home-assistant/core, not on PyPI) validates
the shape of ``translations/en.json``; core's own tests check at run time
that every key a flow or an exception uses is translated. Neither runs here,
so this module does both, statically, for every folder under
``custom_components/`` (an integration added later is checked too):

- keys are well-formed where hassfest demands it (``[a-z0-9-_]``, no leading,
  trailing or doubled ``-``/``_``: selector options, entity and state keys,
  services and fields; slugs for exceptions and platforms), no unknown
  sections, and strings are clean (no HTML, URLs, outer spaces, quoted or
  invalid placeholders);
- every config and options field has a ``data_description`` (core requires
  it for the ``config-flow`` rule), and no description names a field the
  step does not have;
- every step id, form error, abort reason (also the implicit
  ``already_configured`` / ``reauth_successful`` / ``reconfigure_successful``),
  translated selector and its options, entity translation key, exception and
  repair issue the code names exists, with the placeholders the code passes;
  fields of a flow's schemas appear in that flow's steps. Shared helpers
  from ``common/`` count for the integrations that import them.

The code is read with ``ast``; names are resolved through the imported
module, so constants (``CONF_LEVEL``, ``LEVELS``) count like literals.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
import importlib
import json
from pathlib import Path
import re
import string
from types import ModuleType
from typing import Any

import homeassistant.helpers.config_validation as cv
from homeassistant.util import slugify
from homeassistant.util.yaml import load_yaml_dict
import pytest
import voluptuous as vol

ROOT = Path(__file__).parent.parent
COMPONENTS = sorted(
    path
    for path in (ROOT / "custom_components").iterdir()
    if path.is_dir() and not path.name.startswith((".", "_"))
)

# hassfest's rules for translation keys and for strings.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")

_TOP_LEVEL = {
    "title",
    "config",
    "config_subentries",
    "options",
    "selector",
    "entity",
    "entity_component",
    "device",
    "exceptions",
    "services",
    "issues",
    "system_health",
    "common",
    "conditions",
    "triggers",
    "preview_features",
    "device_automation",
    "application_credentials",
    "conversation",
    "config_panel",
}
_FLOW_KEYS = {
    "flow_title",
    "step",
    "error",
    "abort",
    "progress",
    "create_entry",
    "initiate_flow",
    "entry_type",
}
_STEP_KEYS = {
    "title",
    "description",
    "data",
    "data_description",
    "menu_options",
    "menu_option_descriptions",
    "submit",
    "sections",
}
_SECTION_KEYS = {"name", "description", "data", "data_description"}

# Flow base classes and the translation section each one reads.
_FLOW_BASES = {
    "ConfigFlow": "config",
    "OptionsFlow": "options",
    "OptionsFlowWithReload": "options",
    "OptionsFlowWithConfigEntry": "options",
    "ConfigSubentryFlow": "config_subentries",
}
_SAFE_CALLS = {"list", "tuple", "sorted", "set", "frozenset"}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


def _english(component: Path) -> dict[str, Any]:
    path = component / "translations" / "en.json"
    assert path.is_file(), f"{component.name} has no translations/en.json"
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def _paths(tree: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if not isinstance(tree, dict):
        return {prefix}
    return {
        path for key, value in tree.items() for path in _paths(value, (*prefix, key))
    }


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _get(tree: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


# --- Shape of the translation files (hassfest) -------------------------------


def _shape_errors(strings: dict[str, Any]) -> Iterator[str]:
    """Yield what hassfest's translation schema would reject."""

    def keys(where: str, mapping: Any, valid: Any) -> Iterator[str]:
        if not isinstance(mapping, dict):
            yield f"{where}: not a mapping"
            return
        for key in mapping:
            if not valid(key):
                yield f"{where}: invalid key {key!r}"

    def is_key(key: str) -> bool:
        return TRANSLATION_KEY.match(key) is not None

    def is_slug(key: str) -> bool:
        return key == slugify(key) and key != ""

    yield from keys("top level", strings, lambda key: key in _TOP_LEVEL)
    flows = [("config", strings.get("config")), ("options", strings.get("options"))]
    flows += [
        (f"config_subentries.{name}", flow)
        for name, flow in strings.get("config_subentries", {}).items()
    ]
    yield from keys(
        "config_subentries",
        strings.get("config_subentries", {}),
        lambda key: key == "_" or is_slug(key),
    )
    for where, flow in flows:
        if flow is None:
            continue
        yield from keys(where, flow, lambda key: key in _FLOW_KEYS)
        for step_id, step in flow.get("step", {}).items():
            here = f"{where}.step.{step_id}"
            yield from keys(here, step, lambda key: key in _STEP_KEYS)
            yield from _described(here, step)
            for name, part in step.get("sections", {}).items():
                yield from keys(
                    f"{here}.sections.{name}", part, _SECTION_KEYS.__contains__
                )
                yield from _described(f"{here}.sections.{name}", part)
    for name, selector in strings.get("selector", {}).items():
        if not (name == "_" or is_slug(name)):
            yield f"selector: invalid key {name!r}"
        for part in ("options", "choices", "unit_of_measurement", "fields"):
            yield from keys(f"selector.{name}.{part}", selector.get(part, {}), is_key)
    for platform, entities in strings.get("entity", {}).items():
        if not is_slug(platform):
            yield f"entity: invalid platform {platform!r}"
        yield from keys(f"entity.{platform}", entities, is_key)
        for key, entity in entities.items():
            here = f"entity.{platform}.{key}"
            yield from keys(
                here,
                entity,
                {
                    "name",
                    "state",
                    "state_attributes",
                    "unit_of_measurement",
                }.__contains__,
            )
            yield from keys(f"{here}.state", entity.get("state", {}), is_key)
            for attribute, attr in entity.get("state_attributes", {}).items():
                if not is_key(attribute):
                    yield f"{here}.state_attributes: invalid key {attribute!r}"
                yield from keys(
                    f"{here}.state_attributes.{attribute}.state",
                    attr.get("state", {}),
                    is_key,
                )
            for state in _paths(entity.get("state", {})):
                if _placeholders(str(_get(entity["state"], state))):
                    yield f"{here}.state.{'.'.join(state)}: placeholders not allowed"
    yield from keys("device", strings.get("device", {}), is_key)
    yield from keys("exceptions", strings.get("exceptions", {}), is_slug)
    for key, exception in strings.get("exceptions", {}).items():
        yield from keys(f"exceptions.{key}", exception, {"message"}.__contains__)
    yield from keys("services", strings.get("services", {}), is_key)
    for key, service in strings.get("services", {}).items():
        here = f"services.{key}"
        if not {"name", "description"} <= set(service):
            yield f"{here}: needs name and description"
        yield from keys(f"{here}.fields", service.get("fields", {}), is_key)
        for name, spec in service.get("fields", {}).items():
            if not {"name", "description"} <= set(spec):
                yield f"{here}.fields.{name}: needs name and description"
        yield from keys(f"{here}.sections", service.get("sections", {}), is_key)
    for key, issue in strings.get("issues", {}).items():
        if "title" not in issue or not ({"description", "fix_flow"} & set(issue)):
            yield f"issues.{key}: needs a title and a description or fix_flow"
    for path in _paths(strings):
        value = _get(strings, path)
        where = ".".join(path)
        if not isinstance(value, str):
            yield f"{where}: not a string"
            continue
        try:
            cv.string_with_no_html(value)
        except vol.Invalid:
            yield f"{where}: HTML"
        if value != value.strip():
            yield f"{where}: leading or trailing spaces"
        if _QUOTED_PLACEHOLDER.search(value):
            yield f"{where}: placeholder in single quotes"
        if _URL.search(value):
            yield f"{where}: a URL (use a description placeholder)"
        if _COMBINED_REFERENCE.search(value):
            yield f"{where}: combined translation reference"
        try:
            names = _placeholders(value)
        except ValueError:
            yield f"{where}: unbalanced braces"
            continue
        if not all(name.isidentifier() for name in names):
            yield f"{where}: placeholder that is not an identifier"


def _described(where: str, step: dict[str, Any]) -> Iterator[str]:
    """Every field has a data_description, and every description a field."""
    data = set(step.get("data", {}))
    described = set(step.get("data_description", {}))
    if extra := described - data:
        yield f"{where}: data_description for fields it does not have: {sorted(extra)}"
    if missing := data - described:
        yield f"{where}: fields without data_description: {sorted(missing)}"


# --- What the code uses -------------------------------------------------------


@dataclass
class _Used:
    """Translation paths the code needs, and the placeholders it passes."""

    paths: set[tuple[str, ...]] = field(default_factory=set)
    placeholders: dict[tuple[str, ...], list[set[str]]] = field(default_factory=dict)
    """Per path: the placeholder names each use passes (when known statically)."""
    fields: dict[str, set[str]] = field(default_factory=dict)
    """Per flow section (config, options, …): schema fields of its code."""
    sections: set[str] = field(default_factory=set)
    """Names of form sections (``Required(KEY): section(...)``) in the code."""
    selectors: dict[str, set[str] | None] = field(default_factory=dict)
    """Translated selectors: their option values, None when not constant."""
    unresolved: list[str] = field(default_factory=list)


def _module(path: Path) -> ModuleType:
    """Import a file of an integration (or its common/) as its module."""
    relative = path.relative_to(ROOT).with_suffix("")
    return importlib.import_module(".".join(relative.parts))


def _value(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """Evaluate a constant-like expression in the module, else None."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call) and not (
            isinstance(part.func, ast.Name) and part.func.id in _SAFE_CALLS
        ):
            return None
        if isinstance(part, (ast.Lambda, ast.NamedExpr, ast.Await)):
            return None
    try:
        return eval(  # noqa: S307 - our own constants, calls limited to builtins
            compile(ast.Expression(node), "<translation>", "eval"),
            dict(namespace),
        )
    except Exception:  # noqa: BLE001 - any name the module does not have
        return None


def _strings(
    node: ast.expr | None, scope: ast.AST, namespace: dict[str, Any]
) -> set[str] | None:
    """The strings an expression can take (if/else, names of such), else None."""
    if node is None:
        return None
    if isinstance(node, ast.IfExp):
        body = _strings(node.body, scope, namespace)
        orelse = _strings(node.orelse, scope, namespace)
        return None if body is None or orelse is None else body | orelse
    value = _value(node, namespace)
    if isinstance(value, str):
        return {value}
    if isinstance(node, ast.Name):
        # A local variable assigned only strings (``key = "a" if x else "b"``).
        found: set[str] = set()
        assigned = False
        for part in ast.walk(scope):
            if isinstance(part, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == node.id
                for target in part.targets
            ):
                assigned = True
                values = _strings(part.value, scope, namespace)
                if values is None:
                    return None
                found |= values
        return found if assigned else None
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _dict_keys(node: ast.expr | None, namespace: dict[str, Any]) -> set[str] | None:
    """The keys of a dict literal, None when not all are known."""
    if not isinstance(node, ast.Dict):
        return None
    names: set[str] = set()
    for key in node.keys:
        value = None if key is None else _value(key, namespace)
        if not isinstance(value, str):
            return None
        names.add(value)
    return names


class _Scanner:
    """Collects what one integration's code needs from its translations."""

    def __init__(self, component: Path) -> None:
        self.component = component
        self.used = _Used()
        self.sources = sorted(
            path
            for path in component.rglob("*.py")
            if "common" not in path.relative_to(component).parts
        )

    def scan(self) -> _Used:
        for path in self.sources:
            tree = ast.parse(path.read_text())
            module = _module(path)
            namespace = vars(module)
            platform = path.stem if path.parent == self.component else ""
            functions = self._functions(tree, namespace)
            subentry_types = self._subentry_types(tree, namespace)
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    section = self._flow_section(node, subentry_types)
                    reachable = self._reachable(node, namespace, functions)
                    if section is not None:
                        for code, space in reachable:
                            self._flow(section, node, code, space)
                    else:
                        self._class_attributes(node, platform)
                    for code, space in reachable:
                        self._keys(code, space, platform)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for code, space in self._reachable(node, namespace, functions):
                        self._keys(code, space, platform)
                elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)):
                    self._keys(node, namespace, platform)
        return self.used

    def _functions(
        self, tree: ast.Module, namespace: dict[str, Any]
    ) -> dict[str, tuple[ast.AST, dict[str, Any]]]:
        """Module functions, and shared helpers imported from common/."""
        found: dict[str, tuple[ast.AST, dict[str, Any]]] = {
            node.name: (node, namespace)
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for node in tree.body:
            if not (
                isinstance(node, ast.ImportFrom)
                and node.level > 0
                and (node.module or "").startswith("common.")
            ):
                continue
            shared = self.component / Path(*node.module.split(".")).with_suffix(".py")  # type: ignore[union-attr]
            if not shared.is_file():
                continue
            shared_tree = ast.parse(shared.read_text())
            shared_space = vars(_module(shared))
            for alias in node.names:
                for part in shared_tree.body:
                    if (
                        isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and part.name == alias.name
                    ):
                        found[alias.asname or alias.name] = (part, shared_space)
        return found

    @staticmethod
    def _reachable(
        start: ast.AST,
        namespace: dict[str, Any],
        functions: dict[str, tuple[ast.AST, dict[str, Any]]],
    ) -> list[tuple[ast.AST, dict[str, Any]]]:
        """The node and every module/shared function it refers to, transitively."""
        result: list[tuple[ast.AST, dict[str, Any]]] = []
        seen: set[int] = set()
        todo: list[tuple[ast.AST, dict[str, Any]]] = [(start, namespace)]
        while todo:
            node, space = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            result.append((node, space))
            todo.extend(
                functions[part.id]
                for part in ast.walk(node)
                if isinstance(part, ast.Name) and part.id in functions
            )
        return result

    @staticmethod
    def _subentry_types(
        tree: ast.Module, namespace: dict[str, Any]
    ) -> dict[str, set[str]]:
        """Subentry flow class name -> subentry types it serves."""
        types: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name == "async_get_supported_subentry_types"
            ):
                for part in ast.walk(node):
                    if isinstance(part, ast.Dict):
                        for key, value in zip(part.keys, part.values, strict=True):
                            name = None if key is None else _value(key, namespace)
                            if isinstance(name, str) and isinstance(value, ast.Name):
                                types.setdefault(value.id, set()).add(name)
        return types

    @staticmethod
    def _flow_section(
        node: ast.ClassDef, subentry_types: dict[str, set[str]]
    ) -> list[str] | None:
        for base in node.bases:
            name = (
                base.attr
                if isinstance(base, ast.Attribute)
                else getattr(base, "id", "")
            )
            if (section := _FLOW_BASES.get(name)) is None:
                continue
            if section == "config_subentries":
                return [
                    f"config_subentries.{t}"
                    for t in sorted(subentry_types.get(node.name, {"_"}))
                ]
            return [section]
        return None

    def _need(
        self, path: tuple[str, ...], placeholders: set[str] | None = None
    ) -> None:
        """Record a needed path and, when known, the placeholders one use gives."""
        self.used.paths.add(path)
        if placeholders is not None:
            self.used.placeholders.setdefault(path, []).append(placeholders)

    def _flow(
        self,
        sections: list[str],
        cls: ast.ClassDef,
        code: ast.AST,
        space: dict[str, Any],
    ) -> None:
        """Steps, errors, aborts and schema fields of one flow class."""
        methods = {
            item.name
            for item in cls.body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for part in ast.walk(code):
            if isinstance(part, ast.Call):
                name = _call_name(part)
                for section in sections:
                    self._flow_call(section, part, name, methods, code, space)
            if isinstance(part, ast.Dict):
                for key, value in zip(part.keys, part.values, strict=True):
                    if key is not None and _value(key, space) == "base":
                        for error in _strings(value, code, space) or set():
                            for section in sections:
                                self._need((*section.split("."), "error", error))
            if (
                isinstance(part, ast.Assign)
                and len(part.targets) == 1
                and isinstance(target := part.targets[0], ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
            ):
                for error in _strings(part.value, code, space) or set():
                    for section in sections:
                        self._need((*section.split("."), "error", error))

    def _flow_call(
        self,
        section: str,
        call: ast.Call,
        name: str,
        methods: set[str],
        code: ast.AST,
        space: dict[str, Any],
    ) -> None:
        base = tuple(section.split("."))
        if (step := _keyword(call, "step_id")) is not None:
            steps = _strings(step, code, space)
            if steps is None and not _is_parameter(step, code):
                # A parameter is fine: its callers pass step_id= literals,
                # which this scan sees too.
                self.used.unresolved.append(f"step_id {ast.unparse(step)}")
            placeholders = _dict_keys(_keyword(call, "description_placeholders"), space)
            if _keyword(call, "description_placeholders") is None:
                placeholders = set()
            for step_id in steps or set():
                self._need((*base, "step", step_id))
                for part in ("title", "description"):
                    if placeholders is not None:
                        self.used.placeholders.setdefault(
                            (*base, "step", step_id, part), []
                        ).append(placeholders)
        if (reason := _keyword(call, "reason")) is not None:
            for value in _strings(reason, code, space) or set():
                self._need((*base, "abort", value))
        if name in {"_abort_if_unique_id_configured", "_async_abort_entries_match"}:
            self._need((*base, "abort", "already_configured"))
        if (
            name in {"async_update_reload_and_abort", "async_update_and_abort"}
            and _keyword(call, "reason") is None
        ):
            if "async_step_reauth" in methods:
                self._need((*base, "abort", "reauth_successful"))
            if "async_step_reconfigure" in methods:
                self._need((*base, "abort", "reconfigure_successful"))
        if name in {"Required", "Optional"} and call.args:
            key = _value(call.args[0], space)
            if isinstance(key, str):
                self.used.fields.setdefault(section, set()).add(key)

    def _class_attributes(self, cls: ast.ClassDef, platform: str) -> None:
        for item in cls.body:
            if (
                isinstance(item, (ast.Assign, ast.AnnAssign))
                and platform
                and any(
                    isinstance(t, ast.Name) and t.id == "_attr_translation_key"
                    for t in (
                        item.targets if isinstance(item, ast.Assign) else [item.target]
                    )
                )
                and isinstance(item.value, ast.Constant)
                and isinstance(item.value.value, str)
            ):
                self._need(("entity", platform, item.value.value))

    def _keys(self, code: ast.AST, space: dict[str, Any], platform: str) -> None:
        """translation_key= of entities, selectors, exceptions and issues."""
        for part in ast.walk(code):
            if isinstance(part, ast.Dict):
                self._sections(part, space)
            if not isinstance(part, ast.Call):
                continue
            name = _call_name(part)
            key_node = _keyword(part, "translation_key")
            if key_node is None:
                continue
            keys = _strings(key_node, code, space)
            if keys is None:
                continue  # a parameter: its callers pass the literal
            placeholders: set[str] | None = set()
            if (given := _keyword(part, "translation_placeholders")) is not None:
                placeholders = _dict_keys(given, space)
            if name.endswith("EntityDescription"):
                entity_platform = platform or _snake(
                    name.removesuffix("EntityDescription")
                )
                for key in keys:
                    self._need(("entity", entity_platform, key))
            elif name.endswith("SelectorConfig"):
                options = _keyword(part, "options")
                values = None if options is None else _value(options, space)
                for key in keys:
                    self._need(("selector", key))
                    self.used.selectors[key] = (
                        None
                        if values is None
                        else {
                            v["value"] if isinstance(v, dict) else str(v)
                            for v in values
                        }
                    )
            elif name in {"async_create_issue", "create_issue"}:
                for key in keys:
                    self._need(("issues", key, "title"), placeholders)
                    self._need(("issues", key, "description"), placeholders)
            else:
                for key in keys:
                    self._need(("exceptions", key, "message"), placeholders)

    def _sections(self, node: ast.Dict, space: dict[str, Any]) -> None:
        """A schema entry ``Required(KEY): section(...)`` names a section."""
        for key, value in zip(node.keys, node.values, strict=True):
            if (
                isinstance(key, ast.Call)
                and _call_name(key) in {"Required", "Optional"}
                and key.args
                and isinstance(value, ast.Call)
                and _call_name(value) == "section"
                and isinstance(name := _value(key.args[0], space), str)
            ):
                self.used.sections.add(name)


def _is_parameter(node: ast.expr, scope: ast.AST) -> bool:
    """Whether ``node`` is a bare name of a parameter of ``scope``."""
    if not isinstance(node, ast.Name):
        return False
    return any(
        isinstance(part, ast.arg) and part.arg == node.id for part in ast.walk(scope)
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _step_fields(flow: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(fields, section names) of every step of one flow's translations."""
    fields: set[str] = set()
    sections: set[str] = set()
    for step in flow.get("step", {}).values():
        fields |= set(step.get("data", {}))
        for name, part in step.get("sections", {}).items():
            sections.add(name)
            fields |= set(part.get("data", {}))
    return fields, sections


# --- Tests --------------------------------------------------------------------


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_every_language_has_every_string(component: Path) -> None:
    """Other languages carry the same keys and placeholders as English."""
    english = _english(component)

    def placeholders(tree: Any) -> dict[tuple[str, ...], set[str]]:
        return {path: _placeholders(str(_get(tree, path))) for path in _paths(tree)}

    for path in (component / "translations").glob("*.json"):
        other = json.loads(path.read_text())
        assert _paths(other) == _paths(english), path.name
        assert placeholders(other) == placeholders(english), path.name


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_translation_files_are_well_formed(component: Path) -> None:
    """What hassfest checks: key format, known sections, clean strings.

    Also: every field of every config, subentry and options step (sections
    included) has a data_description, as core requires for ``config-flow``.
    """
    _english(component)
    for path in sorted((component / "translations").glob("*.json")):
        errors = list(_shape_errors(json.loads(path.read_text())))
        assert errors == [], f"{path.name}:\n" + "\n".join(errors)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_every_key_the_code_uses_is_translated(component: Path) -> None:
    """Steps, errors, aborts, selectors, entities, exceptions, issues: all exist.

    With the placeholders the code passes, and every schema field of a flow
    named in that flow's steps.
    """
    english = _english(component)
    used = _Scanner(component).scan()
    if (component / "config_flow.py").is_file():
        steps = [p for p in used.paths if "step" in p]
        assert steps, "no step_id found: the scanner no longer matches the code"
    assert used.unresolved == [], f"step ids the test cannot read: {used.unresolved}"
    missing = sorted(".".join(p) for p in used.paths if _get(english, p) is None)
    assert missing == [], f"used but not in en.json: {missing}"

    wrong: list[str] = []
    for path, uses in used.placeholders.items():
        text = _get(english, path)
        if not isinstance(text, str):
            continue
        wrong.extend(
            f"{'.'.join(path)} needs {sorted(needed)}, code gives {sorted(given)}"
            for given in uses
            if (needed := _placeholders(text) - given)
        )
    assert wrong == [], "placeholders the code does not pass:\n" + "\n".join(wrong)

    for key, options in used.selectors.items():
        assert options is not None, (
            f"selector {key}: its options are not a module constant, so the test "
            "cannot check them"
        )
        translated = set(_get(english, ("selector", key, "options")) or {})
        assert options == translated, (
            f"selector {key}: code {options}, en.json {translated}"
        )

    for section, fields in used.fields.items():
        flow = _get(english, tuple(section.split("."))) or {}
        known, sections = _step_fields(flow)
        untranslated = fields - known - sections
        assert untranslated == set(), (
            f"{section}: fields without a step text: {sorted(untranslated)}"
        )
    if sections_used := used.sections:
        translated_sections = set()
        for flow in (english.get("config", {}), english.get("options", {})):
            translated_sections |= _step_fields(flow)[1]
        assert sections_used <= translated_sections, (
            f"sections without a translation: {sorted(sections_used - translated_sections)}"
        )


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_icons_and_services_match_translations(component: Path) -> None:
    """icons.json and services.yaml name only translated entities and actions."""
    english = _english(component)
    if (icons_path := component / "icons.json").is_file():
        icons = json.loads(icons_path.read_text())
        for platform, entities in icons.get("entity", {}).items():
            for key in entities:
                assert TRANSLATION_KEY.match(key), f"icons.json: invalid key {key!r}"
                assert _get(english, ("entity", platform, key)) is not None, (
                    f"icons.json: entity.{platform}.{key} has no translation"
                )
        for service in icons.get("services", {}):
            assert _get(english, ("services", service)) is not None, service
    if (services_path := component / "services.yaml").is_file():
        services = load_yaml_dict(services_path)
        for service, spec in services.items():
            translated = _get(english, ("services", service))
            assert translated is not None, f"services.{service} is not translated"
            for name in (spec or {}).get("fields", {}) or {}:
                assert _get(translated, ("fields", name, "name")), f"{service}.{name}"
                assert _get(translated, ("fields", name, "description")), (
                    f"{service}.{name}"
                )
