"""Look at the ``scripts/develop`` Home Assistant as a newcomer does.

Run by ``scripts/develop --check`` with the playwright package (its own venv)
driving Debian's Chromium (``executable_path``; nothing is downloaded). Opens
the URL (the loopback login lets it straight in), screenshots the dashboard it lands on,
the Energy dashboard and the integrations page, and fails when:

- the browser lands anywhere but a dashboard (login, onboarding, a spinner);
- a device of an integration (names from ``dev_bootstrap.py --summary``) is
  not on the dashboard it lands on, or a config entry did not load;
- the Energy dashboard shows its setup wizard, or no data for this month;
- an integration's config-flow form does not open or shows an error;
- a statistic of an integration falls on some day (a negative bar);
- MOOST did not take the demo household (its devices at the simulator) or,
  when a 15-minute slot closes within the wait budget, delivered no events;
- EnerKey's pushed meter: ``enerkey.push_history`` over the last two days
  does not accept every complete hour of the sensor's statistics, sends an
  hour a second time, or the simulator serves other values for those hours
  than HA's statistics hold; its subentry dialog does not open; EnerKey
  raised a repair issue;
- Home Assistant logged an error.
"""

import argparse
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import re
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
import urllib.request

if TYPE_CHECKING:  # the test venv has no playwright; the check's venv has
    from playwright.sync_api import Page  # type: ignore[import-not-found,unused-ignore]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
# A logged error line: "2026-11-28 09:10:11.123 ERROR (MainThread) [...]".
# Where the loopback login lands: a dashboard, not /auth or /onboarding.
LANDING = re.compile(r"/(dashboard-[a-z-]+|lovelace|home)(/|$)")
ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")
# MOOST's forwarder sends at local quarter hours (every zone HA offers is a
# whole quarter hour off UTC); the first slot after setup carries the heat
# pump's mean power, the household's counters from the second slot on.
SLOT_SECONDS = 900
# From a slot's close to MOOST's answer and the Last delivery sensor's state.
DELIVERY_MARGIN = 90
# How long the check waits for the next slot (DEVELOP_CHECK_MOOST_WAIT).
MOOST_WAIT = 300.0
# The demo household (scripts/dev_bootstrap.py DEMO_*), as MOOST types it.
MOOST_DEVICE_TYPES = {"GATEWAY", "HEAT_PUMP"}
# The MOOST entry's Last delivery sensor and its device, from the frontend.
MOOST_LAST_DELIVERY_JS = """
async () => {
  const hass = document.querySelector("home-assistant").hass;
  const entities = await hass.callWS({type: "config/entity_registry/list"});
  const entity = entities.find(
    (e) => e.platform === "moost" && e.unique_id.endsWith("_last_delivery"));
  if (!entity) return null;
  const state = hass.states[entity.entity_id];
  return {entity_id: entity.entity_id, device_id: entity.device_id,
          state: state ? state.state : null};
}
"""


# The frontend's own connection: websocket commands and REST calls with its
# token (``hass.callApi`` is a plain REST request to /api/<path>).
HASS_WS_JS = """
async (message) => document.querySelector("home-assistant").hass.callWS(message)
"""
HASS_API_JS = """
async ([method, path, body]) =>
  document.querySelector("home-assistant").hass.callApi(method, path, body)
"""
# enerkey.push_history's window: the last two days of complete hours.
PUSH_WINDOW = timedelta(days=2)
# The subentry type's initiate_flow label (translations/en.json), on the
# integration page and in the entry's menu.
PUSH_DIALOG_LABEL = "Push a meter to EnerKey"
PUSH_DIALOG_TITLE = "Push a Home Assistant meter to EnerKey"
# HA's statistics and EnerKey's stored values are the same float64 numbers.
PUSH_TOLERANCE = 1e-9


def hour_floor(moment: datetime) -> datetime:
    """Return the start of ``moment``'s UTC hour."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def pushable_hours(
    rows: Sequence[Mapping[str, Any]], start: datetime, end: datetime
) -> dict[datetime, float]:
    """Return hour start -> change of the hourly statistics rows in [start, end).

    The hours ``enerkey.push_history`` sends in consumption mode: a row with
    a change that is a number and not negative.
    """
    found: dict[datetime, float] = {}
    for row in rows:
        hour = datetime.fromtimestamp(float(row["start"]) / 1000, UTC)
        change = row.get("change")
        if start <= hour < end and isinstance(change, int | float) and change >= 0:
            found[hour] = float(change)
    return found


def served_hours(payload: Any, meter_id: str) -> dict[datetime, float]:
    """Return hour start -> value of a meter in a ``Values/Hourly`` answer."""
    found: dict[datetime, float] = {}
    for meter in payload if isinstance(payload, list) else []:
        if str(meter.get("meterId")) != meter_id:
            continue
        for value in meter.get("values") or []:
            moment = datetime.fromisoformat(str(value["timestamp"]))
            found[moment.astimezone(UTC)] = float(value["value"])
    return found


def compare_hours(
    expected: Mapping[datetime, float], served: Mapping[datetime, float]
) -> list[str]:
    """Return how the served hours differ from HA's (empty: equal to 1e-9)."""
    problems = []
    for hour, value in sorted(expected.items()):
        got = served.get(hour)
        if got is None:
            problems.append(f"{hour:%Y-%m-%d %H:%M} UTC missing")
        elif abs(got - value) > PUSH_TOLERANCE:
            problems.append(f"{hour:%Y-%m-%d %H:%M} UTC {got!r} != {value!r}")
    return problems


def enerkey_hourly(
    simulator: Mapping[str, Any], meter_id: str, start: datetime, end: datetime
) -> Any:
    """Read a meter's hours back from the EnerKey simulator (demo key, loopback)."""
    query = urlencode(
        {
            "meterId": meter_id,
            "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    request = urllib.request.Request(
        f"{str(simulator['url']).rstrip('/')}/api/v1/Values/Hourly?{query}",
        headers={"Authorization": simulator["credentials"]["api_key"]},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def next_slot_end(now: float) -> float:
    """Return the epoch second of the next quarter hour after ``now``."""
    return (now // SLOT_SECONDS + 1) * SLOT_SECONDS


def delivered(state: str | None) -> bool:
    """Return whether a Last delivery state is a time (MOOST accepted events)."""
    if not state:
        return False
    try:
        datetime.fromisoformat(state)
    except ValueError:
        return False  # unknown, unavailable
    return True


def moost_devices(simulator: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the devices MOOST's simulator holds for the entry's building."""
    credentials = simulator["credentials"]
    base = str(simulator["url"]).rstrip("/")
    query = urlencode(
        {
            "clientId": credentials["client_id"],
            "clientSecret": credentials["client_secret"],
        }
    )
    with urllib.request.urlopen(f"{base}/auth/token/v1?{query}", timeout=10) as answer:
        token = json.load(answer)["access_token"]
    request = urllib.request.Request(
        f"{base}/buildings/{credentials['customer_building_id']}/v1",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        devices: list[dict[str, Any]] = json.load(answer).get("devices") or []
    return devices


def log_errors(log: Path) -> list[str]:
    """Return the error records of Home Assistant's log (first line of each)."""
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if ERROR_LINE.match(line)
    ]


class Check:
    """Collects failures; every step screenshots before it judges."""

    def __init__(
        self,
        page: Page,
        url: str,
        out: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Remember the page, base URL, screenshot folder and the clock."""
        self.page = page
        self.url = url
        self.out = out
        self.clock = clock
        self.failures: list[str] = []

    def fail(self, message: str) -> None:
        """Record a failure and say it."""
        self.failures.append(message)
        print(f"develop_check: FAIL {message}", file=sys.stderr)

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        """Screenshot the page into ``<out>/<name>.png``."""
        path = self.out / f"{name}.png"
        self.page.screenshot(path=path, full_page=full_page)
        print(f"develop_check: screenshot {path}", file=sys.stderr)
        return path

    def visible(self, text: str, timeout_ms: float = TIMEOUT_MS) -> bool:
        """Wait until ``text`` is visible (shadow DOM included)."""
        try:
            self.page.get_by_text(text, exact=False).first.wait_for(
                state="visible", timeout=timeout_ms
            )
        except Exception:  # noqa: BLE001 - playwright's TimeoutError, reported as a failure
            return False
        return True

    def settle(self) -> None:
        """Wait for the frontend's network and spinners to calm down."""
        self.page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        self.page.wait_for_timeout(1500)

    def overview(self, devices: dict[str, list[str]]) -> None:
        """Land on a dashboard, logged in, and see every device."""
        self.page.goto(self.url, timeout=TIMEOUT_MS)
        try:
            self.page.wait_for_url(LANDING, timeout=TIMEOUT_MS)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            self.shot("landing")
            self.fail(f"the browser stayed at {self.page.url}, not on a dashboard")
            return
        self.settle()
        names = [name for names in devices.values() for name in names]
        if names:
            self.visible(names[0])
        self.shot("overview", full_page=True)
        for domain, names in devices.items():
            if not names:
                self.fail(f"{domain}: no devices registered")
            for name in names:
                if not self.visible(name, timeout_ms=5000):
                    self.fail(f"{domain}: device {name!r} is not on the dashboard")
        for word in ("Log in", "Loading data", "Welcome Home!"):
            if self.page.get_by_text(word, exact=True).count():
                self.fail(f"the dashboard shows {word!r}")

    def energy(self) -> None:
        """The Energy dashboard shows this month's data, not its wizard."""
        self.page.goto(f"{self.url}/energy", timeout=TIMEOUT_MS)
        self.settle()
        if "/config/energy" in self.page.url:
            self.shot("energy")
            self.fail(
                "the Energy dashboard is not configured (its setup wizard opened)"
            )
            return
        # Cloud data arrives a day late: "today", the default, is often
        # empty. The period the frontend (20261028) remembers per dashboard;
        # picking it in the date picker instead proved flaky headless.
        self.page.evaluate(
            "localStorage.setItem('energy-default-period-_energy_dashboard', 'this_month')"
        )
        self.page.reload(timeout=TIMEOUT_MS)
        self.settle()
        self.shot("energy")
        if self.page.get_by_text("There is no data to show", exact=False).count():
            self.fail("the Energy dashboard has no data for this month")

    def integrations(self, entries: list[dict[str, Any]]) -> None:
        """Every entry is loaded and listed on the integrations page."""
        self.page.goto(f"{self.url}/config/integrations/dashboard", timeout=TIMEOUT_MS)
        self.settle()
        self.shot("integrations")
        for entry in entries:
            if entry["state"] != "loaded":
                self.fail(
                    f"{entry['domain']}: config entry {entry['title']!r} is {entry['state']}"
                )
        if not entries:
            self.fail("no config entries were created")

    def config_flows(self, domains: list[str]) -> None:
        """Each integration's first config-flow form opens and renders."""
        for domain in domains:
            self.page.goto(
                f"{self.url}/config/integrations/dashboard/add?domain={domain}",
                timeout=TIMEOUT_MS,
            )
            self.settle()
            try:  # "Do you want to set up <name>?"
                self.page.get_by_role("button", name="OK").first.click(timeout=10_000)
                self.page.locator("ha-form").first.wait_for(
                    state="visible", timeout=20_000
                )
            except Exception:  # noqa: BLE001 - playwright's TimeoutError
                self.shot(f"flow_{domain}")
                self.fail(f"{domain}: the config flow's form did not open")
                continue
            self.page.wait_for_timeout(1000)
            self.shot(f"flow_{domain}")
            for text in ("could not be loaded", "Unknown error", "Invalid handler"):
                if self.page.get_by_text(text, exact=False).count():
                    self.fail(f"{domain}: the config flow shows {text!r}")

    def moost(self, simulator: Mapping[str, Any] | None, wait: float) -> None:
        """MOOST forwards the demo household: its devices, then its events.

        The devices are PUT as soon as the Energy dashboard lists them. Events
        go at quarter hours: waited for when the next slot closes within
        ``wait`` seconds, else only said (a check should not take 15 minutes).
        """
        if simulator is not None:
            try:
                types = {device.get("type") for device in moost_devices(simulator)}
            except OSError, ValueError, KeyError:
                self.fail("moost: the simulator's building could not be read")
            else:
                if missing := MOOST_DEVICE_TYPES - types:
                    self.fail(
                        f"moost: the simulator's building lacks {sorted(missing)}"
                        f" (has {sorted(t for t in types if t)})"
                    )
        found = self.page.evaluate(MOOST_LAST_DELIVERY_JS)
        if not found:
            self.fail("moost: no Last delivery sensor")
            return
        now = self.clock()
        closes = next_slot_end(now)
        if not delivered(found["state"]) and closes + DELIVERY_MARGIN - now <= wait:
            print(
                f"develop_check: moost: waiting for the slot closing at"
                f" {datetime.fromtimestamp(closes, UTC):%H:%M} UTC",
                file=sys.stderr,
            )
            while self.clock() < closes + DELIVERY_MARGIN:
                self.page.wait_for_timeout(5000)
                found = self.page.evaluate(MOOST_LAST_DELIVERY_JS) or found
                if delivered(found["state"]):
                    break
            else:
                self.fail(
                    f"moost: no events delivered after a slot closed"
                    f" ({found['entity_id']} is {found['state']})"
                )
        if delivered(found["state"]):
            print(
                f"develop_check: moost: events delivered, last at {found['state']}",
                file=sys.stderr,
            )
        elif closes + DELIVERY_MARGIN - now > wait:
            print(
                "develop_check: moost: events NOT checked: no slot closed since setup;"
                f" the next closes in {(closes - now) / 60:.0f} min, beyond the"
                f" {wait:.0f} s budget (DEVELOP_CHECK_MOOST_WAIT)",
                file=sys.stderr,
            )
        if found.get("device_id"):
            self.page.goto(
                f"{self.url}/config/devices/device/{found['device_id']}",
                timeout=TIMEOUT_MS,
            )
            self.settle()
            self.shot("moost", full_page=True)

    def ws(self, message: Mapping[str, Any]) -> Any:
        """Send a websocket command over the frontend's connection."""
        return self.page.evaluate(HASS_WS_JS, dict(message))

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call HA's REST API (``/api/<path>``) with the frontend's token."""
        return self.page.evaluate(HASS_API_JS, [method, path, body])

    def enerkey(
        self, push: Mapping[str, Any] | None, simulator: Mapping[str, Any] | None
    ) -> None:
        """EnerKey's pushed meter: history pushed once, equal to HA's statistics."""
        if push is None:
            self.fail("enerkey: no pushed meter (see dev_bootstrap's enerkey lines)")
            return
        end = hour_floor(datetime.fromtimestamp(self.clock(), UTC))
        start = end - PUSH_WINDOW
        try:
            self._enerkey_push(push, simulator, start, end)
        except Exception as err:  # noqa: BLE001 - playwright's Error (HA's answer), urllib
            self.fail(f"enerkey: push_history could not be checked: {err}")
        issues = [
            issue
            for issue in (self.ws({"type": "repairs/list_issues"}) or {}).get(
                "issues", []
            )
            if issue.get("domain") == "enerkey"
        ]
        for issue in issues:
            self.fail(f"enerkey: repair issue {issue.get('issue_id')}")
        self.push_dialog()

    def _enerkey_push(
        self,
        push: Mapping[str, Any],
        simulator: Mapping[str, Any] | None,
        start: datetime,
        end: datetime,
    ) -> None:
        """Push the window twice; compare what EnerKey stored with HA's hours."""
        entity_id = str(push["entity_id"])
        stats = self.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "statistic_ids": [entity_id],
                "period": "hour",
                "types": ["change"],
                "units": {"energy": "kWh"},
            }
        )
        expected = pushable_hours((stats or {}).get(entity_id, []), start, end)
        data = {
            "config_entry_id": push["entry_id"],
            "pushed_meter": push["meter_id"],
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        path = "services/enerkey/push_history?return_response"
        first = self.api("POST", path, data)["service_response"]
        print(f"develop_check: enerkey: push_history {first}", file=sys.stderr)
        if not expected:
            self.fail(f"enerkey: {entity_id} has no hourly statistics to push")
        if first.get("hours_skipped"):
            self.fail(f"enerkey: {first['hours_skipped']} hours skipped")
        # Hours the hourly push sent already (those after the subentry was
        # added, when the check straddles a quarter past) are not resent.
        wanted = len(expected) - int(first.get("hours_already_pushed") or 0)
        if first.get("hours_accepted") != wanted:
            self.fail(
                f"enerkey: {first.get('hours_accepted')} hours accepted,"
                f" {wanted} complete hours with statistics not pushed before"
            )
        second = self.api("POST", path, data)["service_response"]
        print(f"develop_check: enerkey: again {second}", file=sys.stderr)
        if second.get("hours_sent") != 0:
            self.fail(f"enerkey: the second push sent {second.get('hours_sent')} hours")
        if simulator is None:
            self.fail("enerkey: no simulator to read the pushed hours back from")
            return
        served = served_hours(
            enerkey_hourly(simulator, str(push["meter_id"]), start, end),
            str(push["meter_id"]),
        )
        if problems := compare_hours(expected, served):
            self.fail(
                f"enerkey: {len(problems)} of {len(expected)} hours differ from"
                f" HA's statistics: {'; '.join(problems[:3])}"
            )
        else:
            print(
                f"develop_check: enerkey: {len(expected)} hours in EnerKey meter"
                f" {push['meter_id']} equal {entity_id}'s statistics",
                file=sys.stderr,
            )

    def push_dialog(self) -> None:
        """The integration page and its "Push a meter to EnerKey" dialog."""
        self.page.goto(f"{self.url}/config/integrations/integration/enerkey")
        self.settle()
        self.shot("enerkey", full_page=True)
        try:
            self.page.get_by_text(PUSH_DIALOG_LABEL, exact=True).first.click(
                timeout=10_000
            )
            self.page.get_by_text(PUSH_DIALOG_TITLE, exact=False).first.wait_for(
                state="visible", timeout=20_000
            )
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            self.shot("enerkey_push_dialog")
            self.fail("enerkey: the pushed-meter dialog did not open")
            return
        self.page.wait_for_timeout(1000)
        self.shot("enerkey_push_dialog")
        for text in ("could not be loaded", "Unknown error", "not loaded"):
            if self.page.get_by_text(text, exact=False).count():
                self.fail(f"enerkey: the pushed-meter dialog shows {text!r}")
        self.page.keyboard.press("Escape")


def main() -> int:
    """Run the check; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--simulators", type=Path, help="python -m simulators --json output"
    )
    parser.add_argument(
        "--moost-wait",
        type=float,
        default=float(os.environ.get("DEVELOP_CHECK_MOOST_WAIT") or MOOST_WAIT),
        help="seconds to wait for MOOST's next 15-minute slot (default 300)",
    )
    args = parser.parse_args()
    summary = json.loads(args.summary.read_text())
    simulators = json.loads(args.simulators.read_text()) if args.simulators else {}
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    started = time.monotonic()
    console: list[str] = []
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.on(
                "response",
                lambda response: (
                    console.append(f"HTTP {response.status} {response.url}")
                    if response.status >= 400
                    else None
                ),
            )
            page.on(
                "console",
                lambda msg: console.append(msg.text) if msg.type == "error" else None,
            )
            check = Check(page, args.url, args.out)
            check.overview(summary["devices"])
            check.energy()
            check.integrations(summary["entries"])
            check.config_flows(sorted(summary["devices"]))
            if "enerkey" in summary["devices"]:
                check.enerkey(summary.get("push"), simulators.get("enerkey"))
            if "moost" in summary["devices"]:
                check.moost(simulators.get("moost"), args.moost_wait)
        finally:
            browser.close()
    for line in console:
        print(f"develop_check: browser console error: {line}", file=sys.stderr)
    for statistic_id, days in summary.get("negative_days", {}).items():
        check.fail(
            f"{statistic_id}: negative consumption on {len(days)} days"
            f" ({', '.join(days[:3])}{', ...' if len(days) > 3 else ''})"
        )
    for line in log_errors(args.log):
        check.fail(f"Home Assistant logged: {line}")
    print(
        f"develop_check: {'FAILED' if check.failures else 'passed'} in {time.monotonic() - started:.0f} s;"
        f" screenshots in {args.out}",
        file=sys.stderr,
    )
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
