"""Images and Actions: simulator, client and the image and to-do entities."""

from datetime import UTC, datetime, timedelta
import json
import logging
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.todo.const import DATA_COMPONENT as TODO_COMPONENT
from homeassistant.components.todo.entity import TodoItem
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.enerkey.api import (
    PNG_SIGNATURE,
    EnerKeyClient,
    EnerKeyResponseError,
    parse_action,
)
from simulators import Fault
from simulators.enerkey import EnerKeySimulator
from tests.conftest import Replies, StartSimulator

from .conftest import NOW

pytestmark = pytest.mark.freeze_time(NOW)

IMAGE = "image.toimisto_ruoholahti_consumption_image"
TODO = "todo.toimisto_ruoholahti_energy_management_actions"
KEY = EnerKeySimulator.PRIMARY_KEY


# -- simulator and client ----------------------------------------------------


async def test_simulator_images_and_actions(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """PNG per facility; actions listed, read, and replaced only whole."""
    sim = EnerKeySimulator()
    url = await start_simulator(sim)
    headers = {"Authorization": KEY}
    image_path = f"{url}/api/v1/Images/ConsumptionImage"
    async with client.get(f"{image_path}/1001", headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        body = await response.read()
        assert "X-Rate-Limit" in response.headers
    assert body.startswith(PNG_SIGNATURE)
    assert body == sim.image(1001)
    assert body != sim.image(1002)
    for query, status in (
        ("/9999", 404),
        ("/x", 400),
        ("/1001?format=pdf", 400),
        ("/1001?width=0", 400),
    ):
        async with client.get(f"{image_path}{query}", headers=headers) as response:
            assert response.status == status, query
    async with client.get(f"{image_path}/1001") as response:
        assert response.status == 401
    async with client.get(
        f"{url}/api/v1/Actions?facilityId=1002", headers=headers
    ) as response:
        assert [a["id"] for a in await response.json()] == [511, 512]
    for query in ("", "?facilityId=x"):
        async with client.get(f"{url}/api/v1/Actions{query}", headers=headers) as r:
            assert r.status == 400
    for verb in ("get", "put"):
        for action_id, status in (("9", 404), ("x", 404)):
            async with client.request(
                verb, f"{url}/api/v1/Actions/{action_id}", headers=headers, json={}
            ) as response:
                assert response.status == status
    async with client.get(f"{url}/api/v1/Actions/501", headers=headers) as r:
        action = await r.json()
    put = f"{url}/api/v1/Actions/501"
    partial = {"id": 501, "facilityId": 1001, "status": "Completed"}
    bad_status = {**action, "status": "Done"}
    moved = {**action, "facilityId": 1002}
    for body_json in (partial, bad_status, moved, [1]):
        async with client.put(put, headers=headers, json=body_json) as response:
            assert response.status == 400, body_json
    async with client.put(put, headers=headers, data=b"{") as response:
        assert response.status == 400
    assert sim.actions[501]["status"] == "Open"
    async with client.put(
        put, headers=headers, json={**action, "status": "InProgress"}
    ):
        pass
    assert sim.actions[501] == {**action, "status": "InProgress"}
    assert sim.counters["update_action"] == 8


async def test_client_actions_and_image_on_the_simulator(
    client: ClientSession, start_simulator: StartSimulator
) -> None:
    """Get, modify, send back: only status and completedAt change."""
    sim = EnerKeySimulator()
    url = await start_simulator(sim)
    api = EnerKeyClient(client, KEY, url=url)
    assert await api.consumption_image("1001") == sim.image(1001)
    actions = await api.actions(["1001", "1003"])
    assert [(a.id, a.done) for a in actions] == [
        ("501", False), ("502", False), ("503", True), ("521", False)
    ]  # fmt: skip
    before = dict(sim.actions[501])
    moment = datetime(2026, 10, 27, 10, tzinfo=UTC)
    stored = await api.set_action_status("501", "Completed", now=moment)
    assert stored.done
    assert sim.actions[501] == {
        **before, "status": "Completed", "completedAt": "2026-10-27T10:00:00Z"
    }  # fmt: skip
    reopened = await api.set_action_status("501", "Open")
    assert not reopened.done
    assert sim.actions[501] == before
    assert sim.counters["action"] == sim.counters["update_action"] == 2


async def test_client_tolerant_actions_strict_image(
    client: ClientSession, mocked: Replies
) -> None:
    """Envelopes and odd case are read; unusable actions and images are refused."""
    api = EnerKeyClient(client, KEY, url=mocked.base, timeout=2)
    mocked.get(
        payload={
            "data": [
                {"ID": "7", "FacilityId": 1, "Status": "inprogress", "dueDate": "x"},
                {"id": 8, "facilityId": 1},  # no status: skipped
                {"id": 1.5, "facilityId": 1, "status": "Open"},  # float id: skipped
            ]
        }
    )
    [action] = await api.actions(["1"])
    assert (action.id, action.title, action.done, action.due) == (
        "7", "Action 7", False, None
    )  # fmt: skip
    mocked.get(payload=[])
    with pytest.raises(EnerKeyResponseError):
        await api.action("7")
    mocked.get(body="<html>", content_type="text/html")
    with pytest.raises(EnerKeyResponseError, match="not PNG"):
        await api.consumption_image("1")
    # An update answered without a body shows what was sent.
    raw = {"Id": 7, "FacilityId": 1, "Status": "Open", "CompletedAt": None}
    mocked.get(payload=raw)
    mocked.get(body="")
    stored = await api.set_action_status("7", "Completed")
    assert stored.done
    sent = mocked.requests[-1]
    assert sent.method == "PUT"
    assert mocked.paths[-1] == "/api/v1/Actions/7"
    body = json.loads(mocked.bodies[-1])
    assert set(body) == {"Id", "FacilityId", "Status", "CompletedAt"}
    assert body["Status"] == "Completed"
    assert body["CompletedAt"].endswith("Z")
    assert parse_action({"id": 1}) is None


# -- entities -------------------------------------------------------------------


async def test_image_fetched_once_a_day(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Views are served from memory; a day later the new image is fetched."""
    state = hass.states.get(IMAGE)
    assert state is not None
    assert simulator.counters["consumption_image"] == 0  # nothing until viewed
    http = await hass_client()

    async def view() -> bytes:
        token = hass.states.get(IMAGE).attributes["access_token"]  # type: ignore[union-attr]
        response = await http.get(f"/api/image_proxy/{IMAGE}?token={token}")
        assert response.status == 200
        assert response.content_type == "image/png"
        body: bytes = await response.read()
        return body

    assert await view() == simulator.image(1001)
    first = hass.states.get(IMAGE).state  # type: ignore[union-attr]
    assert datetime.fromisoformat(first) == datetime.fromisoformat(NOW)
    for _ in range(5):
        assert await view() == simulator.image(1001)
    assert simulator.counters["consumption_image"] == 1
    simulator.image_version = 1
    freezer.tick(timedelta(hours=25))
    assert await view() == simulator.image(1001)
    assert simulator.counters["consumption_image"] == 2
    assert hass.states.get(IMAGE).state != first  # type: ignore[union-attr]
    # A failing re-read keeps the last image and waits an hour to retry.
    freezer.tick(timedelta(hours=25))
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="consumption_image")
    assert await view() == simulator.image(1001)
    assert await view() == simulator.image(1001)
    assert simulator.counters["consumption_image"] == 3
    freezer.tick(timedelta(minutes=61))
    assert await view() == simulator.image(1001)
    assert simulator.counters["consumption_image"] == 4


async def test_image_first_fetch_fails(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Without any image yet an error is an error (500 from the proxy)."""
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="consumption_image")
    token = hass.states.get(IMAGE).attributes["access_token"]  # type: ignore[union-attr]
    http = await hass_client()
    response = await http.get(f"/api/image_proxy/{IMAGE}?token={token}")
    assert response.status == 500


async def _items(hass: HomeAssistant) -> list[dict[str, Any]]:
    result = await hass.services.async_call(
        "todo",
        "get_items",
        {"entity_id": TODO},
        blocking=True,
        return_response=True,
    )
    items: list[dict[str, Any]] = result[TODO]["items"]  # type: ignore[call-overload,index,assignment]
    return items


async def test_todo_lists_and_completes_actions(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Items are the facility's actions; completing one is get + put."""
    items = await _items(hass)
    assert [(i["uid"], i["summary"], i["status"]) for i in items] == [
        ("501", "Adjust heating curve", "needs_action"),
        ("502", "Replace corridor lighting with LEDs", "needs_action"),
        ("503", "Check ventilation schedules", "completed"),
    ]
    assert items[0]["due"] == "2026-12-31"
    assert hass.states.get(TODO).state == "2"  # type: ignore[union-attr]
    other = "todo.kauppakeskus_itis_energy_management_actions"
    assert hass.states.get(other).state == "2"  # type: ignore[union-attr]  # InProgress is open
    before = dict(simulator.actions[501])
    simulator.reset_counters()
    await hass.services.async_call(
        "todo",
        "update_item",
        {"entity_id": TODO, "item": "Adjust heating curve", "status": "completed"},
        blocking=True,
    )
    assert simulator.actions[501]["status"] == "Completed"
    assert simulator.actions[501]["completedAt"] == "2026-10-27T10:30:00Z"
    assert {k: v for k, v in simulator.actions[501].items() if k not in (
        "status", "completedAt")} == {
        k: v for k, v in before.items() if k not in ("status", "completedAt")
    }  # fmt: skip
    assert dict(simulator.counters) == {"action": 1, "update_action": 1, "total": 2}
    assert hass.states.get(TODO).state == "1"  # type: ignore[union-attr]
    assert (await _items(hass))[0]["status"] == "completed"
    # Marking it done again costs nothing; reopening restores the object.
    await hass.services.async_call(
        "todo",
        "update_item",
        {"entity_id": TODO, "item": "501", "status": "completed"},
        blocking=True,
    )
    assert simulator.counters["total"] == 2
    await hass.services.async_call(
        "todo",
        "update_item",
        {"entity_id": TODO, "item": "501", "status": "needs_action"},
        blocking=True,
    )
    assert simulator.actions[501] == before
    assert hass.states.get(TODO).state == "2"  # type: ignore[union-attr]


async def test_todo_refusals_and_errors(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Renames, unknown items and EnerKey errors are refused and change nothing."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "todo",
            "update_item",
            {"entity_id": TODO, "item": "501", "rename": "Something else"},
            blocking=True,
        )
    assert err.value.translation_key == "status_only"
    entity = hass.data[TODO_COMPONENT].get_entity(TODO)
    assert entity is not None
    with pytest.raises(ServiceValidationError) as err:
        await entity.async_update_todo_item(TodoItem(uid="511", status=None))
    assert err.value.translation_key == "unknown_action"
    simulator.faults.inject(Fault.SERVER_ERROR, endpoint="update_action")
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            "todo",
            "update_item",
            {"entity_id": TODO, "item": "501", "status": "completed"},
            blocking=True,
        )
    assert failed.value.translation_key == "action_failed"
    assert simulator.actions[501]["status"] == "Open"
    assert hass.states.get(TODO).state == "2"  # type: ignore[union-attr]


async def test_unreadable_actions_keep_the_lists(
    hass: HomeAssistant,
    simulator: EnerKeySimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bad Actions answer at the daily read keeps the sensors and the lists."""
    coordinator = init_integration.runtime_data
    simulator.faults.inject(Fault.MALFORMED_JSON, endpoint="actions")
    simulator.reset_counters()
    with caplog.at_level(logging.WARNING):
        freezer.tick(timedelta(hours=25))
        await coordinator.async_refresh()
    assert simulator.counters["actions"] == 1
    assert "Could not read EnerKey's actions" in caplog.text
    assert coordinator.last_update_success
    assert hass.states.get(TODO).state == "2"  # type: ignore[union-attr]
