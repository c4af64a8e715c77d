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
- Home Assistant logged an error.
"""

import argparse
import json
from pathlib import Path
import re
import sys
import time
from typing import TYPE_CHECKING, Any

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


def log_errors(log: Path) -> list[str]:
    """Return the error records of Home Assistant's log (first line of each)."""
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if ERROR_LINE.match(line)
    ]


class Check:
    """Collects failures; every step screenshots before it judges."""

    def __init__(self, page: Page, url: str, out: Path) -> None:
        """Remember the page, base URL and screenshot folder."""
        self.page = page
        self.url = url
        self.out = out
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


def main() -> int:
    """Run the check; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    summary = json.loads(args.summary.read_text())
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
