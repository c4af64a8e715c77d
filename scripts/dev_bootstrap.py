"""Onboard a fresh Home Assistant over its API and add one entry per simulator.

Used by ``scripts/develop``. Idempotent: on a second start it reuses the saved
login and only adds entries that do not exist yet.
"""

import argparse
import asyncio
import json
from pathlib import Path
import secrets
import sys
from typing import Any

import aiohttp

# The config-flow fields each integration's user step takes, from the
# simulator's demo credentials and URL.
FLOW_FORMS = {
    "momentum_energi": lambda sim: {
        "username": sim["credentials"]["username"],
        "password": sim["credentials"]["password"],
        "client_secret": sim["credentials"]["client_secret"],
        "advanced": {"url": sim["url"], "client_id": "external_access"},
    },
    "omnimetic": lambda sim: {
        "client_id": sim["credentials"]["client_id"],
        "client_secret": sim["credentials"]["client_secret"],
        "service_account_id": sim["credentials"]["service_account_id"],
        "advanced": {"url": sim["url"]},
    },
}


async def wait_for(
    session: aiohttp.ClientSession, url: str, seconds: float = 300
) -> None:
    """Wait until Home Assistant answers HTTP."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        try:
            async with session.get(f"{url}/api/onboarding") as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(1)
    raise SystemExit("Home Assistant did not answer in time; see .dev/ha/hass.out")


async def onboard(session: aiohttp.ClientSession, url: str, state_file: Path) -> str:
    """Create the owner (first run) and return an access token."""
    client_id = f"{url}/"
    async with session.get(f"{url}/api/onboarding") as response:
        steps = {step["step"]: step["done"] for step in await response.json()}
    if not steps.get("user"):
        password = secrets.token_urlsafe(12)
        async with session.post(
            f"{url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Developer",
                "username": "dev",
                "password": password,
                "language": "en",
            },
        ) as response:
            response.raise_for_status()
            code = (await response.json())["auth_code"]
        state_file.write_text(json.dumps({"username": "dev", "password": password}))
        state_file.chmod(0o600)
        async with session.post(
            f"{url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
            },
        ) as response:
            response.raise_for_status()
            tokens = await response.json()
        token = str(tokens["access_token"])
        headers = {"Authorization": f"Bearer {token}"}
        # Location, units and currency over the websocket: the core_config
        # onboarding step would start default integrations that go online.
        async with session.ws_connect(f"{url}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": token})
            await ws.receive_json()
            await ws.send_json(
                {
                    "id": 1,
                    "type": "config/core/update",
                    "time_zone": "America/New_York",
                    "currency": "USD",
                    "unit_system": "us_customary",
                    "country": "US",
                }
            )
            await ws.receive_json()
        for step, body in (
            ("analytics", {}),
            (
                "integration",
                {"client_id": client_id, "redirect_uri": f"{url}/?auth_callback=1"},
            ),
        ):
            async with session.post(
                f"{url}/api/onboarding/{step}", json=body, headers=headers
            ) as response:
                if response.status >= 400:
                    print(
                        f"dev_bootstrap: onboarding step {step}: HTTP {response.status}",
                        file=sys.stderr,
                    )
        return token
    login = json.loads(state_file.read_text())
    flow_url = f"{url}/auth/login_flow"
    async with session.post(
        flow_url,
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": f"{url}/",
        },
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{flow_url}/{flow['flow_id']}", json={**login, "client_id": client_id}
    ) as response:
        code = (await response.json())["result"]
    async with session.post(
        f"{url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as response:
        return str((await response.json())["access_token"])


async def add_entries(
    session: aiohttp.ClientSession, url: str, token: str, simulators: dict[str, Any]
) -> None:
    """Run each integration's config flow against its simulator."""
    headers = {"Authorization": f"Bearer {token}"}
    async with session.get(
        f"{url}/api/config/config_entries/entry", headers=headers
    ) as response:
        existing = {entry["domain"] for entry in await response.json()}
    for domain, sim in simulators.items():
        if domain in existing or domain not in FLOW_FORMS:
            continue
        async with session.post(
            f"{url}/api/config/config_entries/flow",
            json={"handler": domain},
            headers=headers,
        ) as response:
            flow = await response.json()
        async with session.post(
            f"{url}/api/config/config_entries/flow/{flow['flow_id']}",
            json=FLOW_FORMS[domain](sim),
            headers=headers,
        ) as response:
            result: dict[str, Any] = await response.json()
        print(
            f"dev_bootstrap: {domain}: {result.get('type')} {result.get('title') or result.get('errors')}",
            file=sys.stderr,
        )


async def main() -> None:
    """Wait for HA, onboard it, add entries, print how to log in."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--simulators", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()
    simulators = json.loads(args.simulators.read_text())
    async with aiohttp.ClientSession() as session:
        await wait_for(session, args.url)
        token = await onboard(session, args.url, args.state)
        await add_entries(session, args.url, token, simulators)
    login = json.loads(args.state.read_text())
    print(
        f"\nHome Assistant: {args.url}\n  user: {login['username']}\n  password: {login['password']}\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
