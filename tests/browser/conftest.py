"""Playwright driving Debian's Chromium (never a downloaded browser), headless."""

import os
import shutil

import pytest

from tests.conftest import ARTIFACTS

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up data happen outside it, and the live server answers from its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but Debian's chromium is not installed.")
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium); "
            "CI installs it and sets REQUIRE_BROWSER=1."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, cumbria):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = []  # what the Content-Security-Policy blocked: our pages must need nothing of it
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert refused == [], "The Content-Security-Policy blocked:\n" + "\n".join(refused)


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot of the page under test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


def log_in(page, username: str, password: str = "demo") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# --- Accessibility: axe-core (vendored from npm) run in the page --------------------------------

AXE_URL = "/static/vendor/axe-core/axe.min.js"  # from the site: the policy refuses inline script
AXE_BLOCKING = ("serious", "critical")


def axe_violations(page, impacts=AXE_BLOCKING) -> list[dict]:
    """Run axe-core on the page as it stands; the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=origin(page) + AXE_URL)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in impacts]


def origin(page) -> str:
    return "/".join(page.url.split("/")[:3])


def describe_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


def assert_accessible(page) -> None:
    """Fail on axe violations of serious or critical impact."""
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe_violations(violations)}"


@pytest.fixture
def visit(page, screenshot):
    """Check the page in front of the browser with axe (serious and critical fail the test) and
    save its screenshot: `visit("county")`."""

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        screenshot(name)
        assert_accessible(page)

    return check
