"""External links are checked weekly, in a workflow of their own that never blocks a push."""

from __future__ import annotations

import yaml

from tools.config import REPO_ROOT

LINKS = REPO_ROOT / ".github" / "workflows" / "links.yml"


def test_links_are_checked_weekly_and_never_on_a_push() -> None:
    workflow = yaml.safe_load(LINKS.read_text())
    triggers = workflow[True]  # YAML reads the key `on` as True
    assert set(triggers) == {"schedule", "workflow_dispatch"}, triggers
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert day == month == "*" and weekday.isdigit(), cron  # one day a week
    runs = [step.get("run", "") for step in workflow["jobs"]["linkcheck"]["steps"]]
    assert "make linkcheck" in runs


def test_make_linkcheck_uses_sphinx_linkcheck_outside_the_site() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    rule = makefile.split("\nlinkcheck:", 1)[1].split("\n\n", 1)[0]
    assert "--builder linkcheck" in rule
    assert "--path-output $(LINKCHECK)" in rule  # its report stays out of _build/html
