"""The one import of pyroute2 (untyped): netlink access for the network package."""

from __future__ import annotations

from pyroute2 import IPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

__all__ = ["IPRoute", "NetlinkError"]
