"""Fixtures shared by the tests of the fake GitHub server and of the GitHub wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub
from tests.openapi_check import OpenApiChecker, load_spec

ServerFactory = Callable[..., FakeGitHub]


@pytest.fixture(scope="session")
def openapi() -> OpenApiChecker:
    return OpenApiChecker(load_spec())


@pytest.fixture
def make_server(openapi: OpenApiChecker) -> Iterator[ServerFactory]:
    """Start FakeGitHub servers; on teardown validate every answer they gave."""
    servers: list[FakeGitHub] = []

    def make(**kwargs: Any) -> FakeGitHub:
        server = FakeGitHub(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    for server in servers:
        assert server.errors == [], server.errors[0]
        for record in server.requests:
            openapi.check(record)


@pytest.fixture
def gh(make_server: ServerFactory) -> FakeGitHub:
    return make_server()
