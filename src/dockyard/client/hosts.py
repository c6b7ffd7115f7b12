"""Which daemon to talk to: ``-H``, ``DOCKYARD_HOST``, ``DOCKER_HOST``, then the default."""

from __future__ import annotations

__all__ = ["DEFAULT_HOST", "parse_host", "resolve_host"]

DEFAULT_HOST = "unix:///run/dockyard.sock"


def resolve_host(flag: str | None, environ: dict[str, str] | None = None) -> str:
    """The host URL in effect: the flag wins, then DOCKYARD_HOST, then DOCKER_HOST."""
    if flag:
        return flag
    if environ is None:
        import os

        environ = dict(os.environ)
    return environ.get("DOCKYARD_HOST") or environ.get("DOCKER_HOST") or DEFAULT_HOST


def parse_host(url: str) -> str | tuple[str, int]:
    """A socket address from ``unix:///path`` or ``tcp://host[:port]`` (port 2375 by default).

    Raises ValueError with Docker's wording for anything else.
    """
    if url.startswith("unix://"):
        path = url[len("unix://") :]
        if not path:
            raise ValueError(f"invalid bind address ({url}): empty path")
        return path
    for scheme in ("tcp://", "http://"):
        if url.startswith(scheme):
            rest = url[len(scheme) :].split("/", 1)[0]
            host, sep, port = rest.rpartition(":")
            if not sep:
                host, port = rest, "2375"
            host = host.strip("[]") or "127.0.0.1"
            if not port.isdigit():
                raise ValueError(f"invalid bind address ({url}): invalid port")
            return (host, int(port))
    raise ValueError(f"unable to parse docker host `{url}`")
