"""Which daemon the client talks to."""

from __future__ import annotations

import pytest

from dockyard.client.hosts import DEFAULT_HOST, parse_host, resolve_host


def test_flag_wins_over_environment() -> None:
    assert resolve_host("tcp://a:1", {"DOCKER_HOST": "unix:///x"}) == "tcp://a:1"


def test_dockyard_host_wins_over_docker_host() -> None:
    env = {"DOCKYARD_HOST": "unix:///a", "DOCKER_HOST": "unix:///b"}
    assert resolve_host(None, env) == "unix:///a"


def test_default_host() -> None:
    assert resolve_host(None, {}) == DEFAULT_HOST == "unix:///run/dockyard.sock"


def test_unix_url_is_a_path() -> None:
    assert parse_host("unix:///run/d.sock") == "/run/d.sock"


def test_tcp_url_is_host_and_port() -> None:
    assert parse_host("tcp://127.0.0.1:2375") == ("127.0.0.1", 2375)


def test_tcp_without_port_uses_2375() -> None:
    assert parse_host("tcp://example") == ("example", 2375)


def test_other_schemes_are_rejected() -> None:
    with pytest.raises(ValueError, match="unable to parse docker host"):
        parse_host("ssh://x")
