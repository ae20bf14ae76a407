"""A real headless Chromium — Debian's, at /usr/bin/chromium, never a downloaded build — driven
by Playwright against the stack; one browser for the tests in a row that use it (stopped after
the last), a fresh context per test.
Every screen a test visits is screenshotted (under the session's tmp dir, `screens/`, or
`XIETONG_WORKBENCH_SCREENSHOTS`) and checked with axe-core run in the page."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from workbench_testing import Stack, UntilLastUser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Conditions, not sleeps: a generous bound for a busy 2-core box.
WAIT_MS = 60_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.integration)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(
                        reason="no /usr/bin/chromium: install Debian's package "
                        "(`apt-get install -y chromium`; .ci/run does); browsers are never "
                        "downloaded"
                    )
                )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # Playwright gives each launch a fresh profile (user data dir) of its own.
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=WAIT_MS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
async def browser_of_the_worker() -> AsyncIterator[UntilLastUser[Any]]:
    async with UntilLastUser[Any](chromium) as shared:
        yield shared


@pytest.fixture
async def browser(
    browser_of_the_worker: UntilLastUser[Any], request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    yield await browser_of_the_worker.get()
    await browser_of_the_worker.stop_unless_next_uses(request.node, "browser")


@pytest.fixture(scope="session")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("XIETONG_WORKBENCH_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("screens")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@dataclass
class Desk:
    """One person's browser tab at the workbench."""

    page: Any
    base: str
    screens: Path
    shots: list[Path] = field(default_factory=list)

    async def go(self, path: str) -> Any:
        response = await self.page.goto(self.base + path, wait_until="load", timeout=WAIT_MS)
        return response

    async def sign_in(self, org: str, *roles: str, name: str) -> None:
        await self.go("/signin")
        await self.page.select_option("#f-org", org)
        for box in await self.page.locator("input[name=roles]").all():
            if await box.is_checked():
                await box.uncheck()
        for role in roles:
            await self.page.check(f"input[name=roles][value={role}]")
        await self.page.fill("#f-name", name)
        await self.submit("signin")
        await self.page.wait_for_selector("[data-testid=who]", timeout=WAIT_MS)

    async def submit(self, testid: str) -> None:
        async with self.page.expect_navigation(wait_until="load", timeout=WAIT_MS):
            await self.page.click(f"[data-testid={testid}]")

    async def shot(self, name: str, *, full_page: bool = True) -> Path:
        """A screenshot of the screen as it stands, and axe-core's verdict on it."""
        path = self.screens / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=full_page)
        self.shots.append(path)
        await self.accessible(name)
        return path

    async def accessible(self, name: str) -> None:
        """WCAG 2.1 AA (GB/T 37668): axe-core finds no serious or critical violation."""
        if not await self.page.evaluate("typeof window.axe !== 'undefined'"):
            await self.page.add_script_tag(path=str(AXE))
        result = await self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {
                    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                });
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name}: " + json.dumps(serious, ensure_ascii=False, indent=1)

    async def text(self, selector: str) -> str:
        found: str = await self.page.locator(selector).inner_text(timeout=WAIT_MS)
        return found

    def record_id(self) -> str:
        found = re.search(r"/([0-9a-f-]{36})", self.page.url)
        assert found, self.page.url
        return found.group(1)


@pytest.fixture
async def desk(browser: Any, stack: Stack, screens: Path) -> AsyncIterator[Any]:
    """A new browser context (its own cookies) in Chinese on a desktop screen."""

    async def open_desk(*, width: int = 1280, height: int = 900, locale: str = "zh-CN") -> Desk:
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            # axe-core is injected by the test, not served: the page's CSP would refuse it.
            bypass_csp=True,
            extra_http_headers={
                "Accept-Language": "zh-CN,zh;q=0.9" if locale.startswith("zh") else "en"
            },
        )
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        return Desk(page=page, base=stack.workbench, screens=screens)

    contexts: list[Any] = []
    try:
        yield open_desk
    finally:
        for context in contexts:
            await context.close()
