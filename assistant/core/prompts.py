"""Prompt and answer templates: `$placeholder` text files read from `settings.prompts_dir`.

One loader for every template the answerer and the generators fill, so a deployment that points
ASSISTANT_PROMPTS_DIR elsewhere changes all of them.
"""

from __future__ import annotations

import string
from pathlib import Path

from assistant.core.errors import ConfigError


def load_template(prompts_dir: Path, name: str) -> string.Template:
    """The `$placeholder` template `prompts_dir/name` (e.g. "system.txt", "answer_found.txt")."""
    path = Path(prompts_dir) / name
    try:
        return string.Template(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ConfigError(
            f"prompt template {path} cannot be read ({exc.strerror or exc}); "
            f"restore it or point ASSISTANT_PROMPTS_DIR at a folder holding {name}"
        ) from exc


def render_template(template: string.Template, name: str = "template", **values: object) -> str:
    """Fill a template; a placeholder the caller does not provide is a ConfigError naming it."""
    try:
        return template.substitute({k: "" if v is None else str(v) for k, v in values.items()})
    except (KeyError, ValueError) as exc:
        raise ConfigError(
            f"prompt template {name} uses an unknown or malformed placeholder {exc}; "
            f"valid ones: {', '.join('$' + k for k in sorted(values))}"
        ) from exc
