"""Translations of every integration: complete in each language, no key missing."""

import json
from pathlib import Path
import re
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
COMPONENTS = sorted(
    path for path in (ROOT / "custom_components").iterdir() if path.is_dir()
)
# Literals in the code that name a translation: translation keys, form errors
# and abort reasons.
_USED = re.compile(r'translation_key="(\w+)"|\{"base": "(\w+)"\}|reason="(\w+)"')


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """No hass needed."""


def _paths(tree: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if not isinstance(tree, dict):
        return {prefix}
    return {
        path for key, value in tree.items() for path in _paths(value, (*prefix, key))
    }


def _placeholders(tree: Any) -> dict[tuple[str, ...], set[str]]:
    return {
        path: set(re.findall(r"\{(\w+)\}", _get(tree, path))) for path in _paths(tree)
    }


def _get(tree: Any, path: tuple[str, ...]) -> str:
    for key in path:
        tree = tree[key]
    return str(tree)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_every_language_has_every_string(component: Path) -> None:
    """Other languages carry the same keys and placeholders as English."""
    english = json.loads((component / "translations" / "en.json").read_text())
    for path in (component / "translations").glob("*.json"):
        other = json.loads(path.read_text())
        assert _paths(other) == _paths(english), path.name
        assert _placeholders(other) == _placeholders(english), path.name


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda path: path.name)
def test_every_key_the_code_uses_is_translated(component: Path) -> None:
    """Translation keys, form errors and abort reasons all exist in en.json."""
    english = json.loads((component / "translations" / "en.json").read_text())
    names = {part for path in _paths(english) for part in path}
    used = {
        name
        for source in component.glob("*.py")
        for match in _USED.finditer(source.read_text())
        for name in match.groups()
        if name and name.islower()
    }
    assert used, "the pattern found nothing: it no longer matches the code"
    assert used - names == set()
