"""Dependabot keeps the pins current: actions, npm and pip, Jupyter Book held below 2."""

from __future__ import annotations

import yaml

from tools.config import REPO_ROOT

CONFIG = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
UPDATES = {update["package-ecosystem"]: update for update in CONFIG["updates"]}


def test_every_kind_of_pin_is_watched_weekly() -> None:
    assert set(UPDATES) == {"github-actions", "npm", "pip"}
    for update in UPDATES.values():
        assert update["directory"] == "/" and update["schedule"]["interval"] == "weekly"


def test_jupyter_book_stays_below_2() -> None:
    ignored = {rule["dependency-name"]: rule["versions"] for rule in UPDATES["pip"]["ignore"]}
    assert ignored["jupyter-book"] == [">=2"]
    assert "jupyter-book==1." in (REPO_ROOT / "requirements.txt").read_text()
