"""Container networking (L2): what the daemon joins to containers.

``base`` (types, NetworkDriver Protocol) · ``ipam`` (subnets and addresses, pure) ·
``netns`` (namespaces as bind mounts) · ``bridge``/``host``/``none`` (drivers) · ``nat``
(Dockyard's own nftables table) · ``proxy`` (host-port holder, userland proxy) · ``dns`` +
``dns_message`` (embedded DNS at 127.0.0.11) · ``resolvconf`` (resolv.conf and hosts text).
Nothing here imports ``runtime`` or ``volume``; the daemon passes netns paths between them.
"""
