"""Fixtures every tier shares: a free port, the OpenAI stand-in server, the real engine built apart.

Tiers: tests/unit (pure functions and fakes), tests/integration (the shipped corpus, the real embedder,
the real index), tests/e2e (the API, the Gradio app, the widget in a browser), tests/bench (figures).
Support modules stay importable as `tests.fakes`, `tests.fake_engine` and `tests.openai_stub`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from assistant.core.settings import Settings
from assistant.serve.engine import build_engine
from tests.openai_stub import openai_stub  # noqa: F401  (the fixture, for every test module)


@pytest.fixture(scope="session", autouse=True)
def _index_and_data_outside_the_repository(tmp_path_factory) -> Iterator[None]:
    """Point the default index and data folders at temporary ones: no test writes ./index or ./data."""
    root = tmp_path_factory.mktemp("defaults")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_INDEX_DIR", str(root / "index"))
        mp.setenv("ASSISTANT_DATA_DIR", str(root / "data"))
        yield


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function giving a loopback port nothing listens on (free when asked; bind it soon)."""

    def port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return port


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """The shipped corpus and the real embedder, with the index and data in a temporary folder.

    The model cache (~/.cache/mz-assistant) stays shared: the e5-small folder is built once per machine.
    """
    root = tmp_path_factory.mktemp("real")
    return Settings(index_dir=root / "index", data_dir=root / "data")


@pytest.fixture(scope="session")
def real_engine(real_settings):
    """One real engine for the session: the shipped corpus indexed from scratch into a temporary folder."""
    return build_engine(real_settings)
