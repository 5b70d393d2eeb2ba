"""Shared set-up for every test under tests/."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Parsed inputs are cached in a temporary folder, never in the user's cache.

    Session-wide (and set in os.environ) so that session fixtures and the ``vawgbook``
    subprocesses the tests start use it too; tests that need an empty cache set their own.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAWGBOOK_CACHE_DIR", str(tmp_path_factory.mktemp("vawgbook-cache")))
        yield


@pytest.fixture(scope="session")
def kernel_pool():
    """Warm kernels shared by the tests that execute notebooks (started once per session)."""
    from vawgbook.build.kernels import KernelPool

    with KernelPool() as pool:
        yield pool
