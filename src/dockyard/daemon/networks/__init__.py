"""The network service (L3): networks, container attachments, published ports, DNS.

* :mod:`~.records` / :mod:`~.store` — networks and attachments in sqlite (IPAM state too);
* :mod:`~.service` — ``/networks`` verbs and the predefined bridge/host/none networks;
* :mod:`~.filters` — ``ls``/``prune`` filters;
* :mod:`~.attach` — the container hooks (create, start, stop, rm) and connect/disconnect;
* :mod:`~.sandbox` — a running container's netns, endpoints, ports, DNS server;
* :mod:`~.ports` / :mod:`~.links` — ``-p``/``-P`` and ``--link`` (pure);
* :mod:`~.names` — what the embedded DNS answers, scoped by network;
* :mod:`~.view` — NetworkSettings for inspect and ps;
* :mod:`~.restore` — the start-up order around the container service's reconcile.

The L2 drivers (``dockyard.network``) own kernel objects only; everything here decides.
"""
