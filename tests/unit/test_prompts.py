"""Templates: read from the prompts folder the settings name, filled by name, errors that say what to fix."""

from __future__ import annotations

import pytest

from assistant.core.errors import ConfigError
from assistant.core.prompts import load_template, render_template
from assistant.core.settings import Settings


def test_every_shipped_template_loads_from_the_settings_folder():
    folder = Settings().prompts_dir
    names = sorted(p.name for p in folder.glob("*.txt"))
    assert {"system.txt", "user.txt", "passage.txt", "answer_found.txt"} <= set(names)
    for name in names:
        assert load_template(folder, name).template  # stripped, not empty


def test_a_template_from_another_folder_is_filled_by_name(tmp_path):
    (tmp_path / "user.txt").write_text("  问题：$question\n资料：$passages \n", encoding="utf-8")
    template = load_template(tmp_path, "user.txt")
    assert render_template(template, "user.txt", question="普陀？", passages=None) == "问题：普陀？\n资料："


def test_a_missing_template_names_the_file_and_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="ASSISTANT_PROMPTS_DIR") as err:
        load_template(tmp_path, "system.txt")
    assert str(tmp_path / "system.txt") in str(err.value)


def test_an_unknown_placeholder_lists_the_valid_ones(tmp_path):
    (tmp_path / "user.txt").write_text("$question $passage", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"user\.txt.*\$passages, \$question"):
        render_template(load_template(tmp_path, "user.txt"), "user.txt", question="q", passages="p")
