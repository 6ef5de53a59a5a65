"""axe-core (bundled by axe-playwright-python) on a page as it is now, for the tests that
ask for zero violations of any impact."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()


def axe_violations(page) -> list[str]:
    """What axe finds on the page as it is now: one line per rule and element."""
    results = AXE.run(page).response
    return [
        f"{rule['id']} ({rule['impact']}): {node['target']}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]


def assert_accessible(page, what: str) -> None:
    found = axe_violations(page)
    assert found == [], f"{what}: {found}"
