"""What the ``/networks`` routes call: the service's verbs and the hooks' connect/disconnect
behind one object (every method blocks; the routes run them in worker threads)."""

from __future__ import annotations

import builtins

from dockyard.apitypes.filters import Filters
from dockyard.apitypes.networking_config import EndpointSettings
from dockyard.daemon.networks.attach import NetworkHooks
from dockyard.daemon.networks.records import NetworkRecord
from dockyard.daemon.networks.service import NetworkCreate, NetworkDetails, NetworkService

__all__ = ["NetworkFacade"]


class NetworkFacade:
    def __init__(self, service: NetworkService, hooks: NetworkHooks) -> None:
        self.service = service
        self.hooks = hooks

    def list(self, filters: Filters) -> list[NetworkDetails]:
        return self.service.list(filters)

    def inspect(self, ref: str) -> NetworkDetails:
        return self.service.inspect(ref)

    def create(self, req: NetworkCreate) -> NetworkRecord:
        return self.service.create(req)

    def remove(self, ref: str) -> None:
        self.service.remove(ref)

    def prune(self, filters: Filters) -> builtins.list[str]:
        return self.service.prune(filters)

    def connect(self, net: str, container: str, settings: EndpointSettings | None) -> None:
        self.hooks.connect(net, container, settings)

    def disconnect(self, net: str, container: str, force: bool) -> None:
        self.hooks.disconnect(net, container, force)
