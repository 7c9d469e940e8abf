"""Module-scoped servers the attack tests share (see tests/e2e/running.py for how one is started)."""

from __future__ import annotations

import pytest

from tests.e2e.running import ADMIN_KEY, ADMIN_PASSWORD, make_settings, serve
from tests.fake_engine import FakeEngine


@pytest.fixture(scope="module")
def readonly(tmp_path_factory):
    """Default settings: no credential at all, so a read-only server. (settings, engine, url)"""
    settings = make_settings(tmp_path_factory.mktemp("readonly"), rate_limit_per_minute=0)
    engine = FakeEngine(settings)
    with serve(settings, engine) as url:
        yield settings, engine, url


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """An admin key and an admin password configured. (settings, engine, url)"""
    settings = make_settings(tmp_path_factory.mktemp("guarded"), admin_key=ADMIN_KEY,
                             admin_password=ADMIN_PASSWORD, rate_limit_per_minute=0)
    engine = FakeEngine(settings)
    with serve(settings, engine) as url:
        yield settings, engine, url
