"""Shared fixtures: every test gets its own empty speech cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Point AUDIOGUIDE_CACHE_DIR at a fresh temp dir so tests never share or pollute a cache."""
    path = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("AUDIOGUIDE_CACHE_DIR", str(path))
    return path
