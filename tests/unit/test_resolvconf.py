"""A container's resolv.conf and hosts file, derived from the host's like Docker does."""

from __future__ import annotations

from dockyard.network.resolvconf import (
    container_resolv_conf,
    hosts_file,
    parse_resolv_conf,
    upstream_nameservers,
)

HOST = """# generated
nameserver 127.0.0.53
nameserver 10.1.2.3
nameserver fe80::1
search corp.example lab.example
options edns0 trust-ad
"""


def test_parse_reads_nameservers_search_and_options() -> None:
    conf = parse_resolv_conf(HOST)
    assert conf.nameservers == ("127.0.0.53", "10.1.2.3", "fe80::1")
    assert conf.search == ("corp.example", "lab.example")
    assert conf.options == ("edns0", "trust-ad")


def test_parse_last_search_or_domain_line_wins() -> None:
    assert parse_resolv_conf("search a\ndomain b\n").search == ("b",)


def test_parse_ignores_comments() -> None:
    assert parse_resolv_conf("; x\nnameserver 1.1.1.1 # y\n").nameservers == ("1.1.1.1",)


def test_bridge_container_drops_loopback_nameservers() -> None:
    text = container_resolv_conf(HOST)
    assert text == (
        "nameserver 10.1.2.3\nsearch corp.example lab.example\noptions edns0 trust-ad\n"
    )


def test_bridge_container_falls_back_to_google_when_only_loopback_left() -> None:
    text = container_resolv_conf("nameserver 127.0.0.53\n")
    assert text == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"


def test_ipv6_nameservers_kept_when_ipv6_enabled() -> None:
    assert "nameserver fe80::1" in container_resolv_conf(HOST, ipv6=True)


def test_explicit_dns_replaces_host_nameservers() -> None:
    text = container_resolv_conf(HOST, dns=["9.9.9.9"], dns_search=["x.test"])
    assert text.splitlines()[:2] == ["nameserver 9.9.9.9", "search x.test"]


def test_dns_search_dot_clears_search() -> None:
    assert "search" not in container_resolv_conf(HOST, dns_search=["."])


def test_embedded_dns_points_at_127_0_0_11_with_ndots_0() -> None:
    text = container_resolv_conf(HOST, embedded_dns=True)
    assert text == (
        "nameserver 127.0.0.11\nsearch corp.example lab.example\noptions edns0 trust-ad ndots:0\n"
    )


def test_embedded_dns_keeps_user_ndots() -> None:
    text = container_resolv_conf(HOST, embedded_dns=True, dns_options=["ndots:3"])
    assert text.endswith("options ndots:3\n")


def test_upstreams_keep_host_loopback_resolvers() -> None:
    assert upstream_nameservers(HOST) == ["127.0.0.53", "10.1.2.3", "fe80::1"]


def test_upstreams_default_to_google_when_host_lists_none() -> None:
    assert upstream_nameservers("") == ["8.8.8.8", "8.8.4.4"]


def test_hosts_file_has_localhost_lines_and_own_address_last() -> None:
    lines = hosts_file(hostname="abc123", ip="172.30.0.2").splitlines()
    assert lines[0] == "127.0.0.1\tlocalhost"
    assert lines[1] == "::1\tlocalhost ip6-localhost ip6-loopback"
    assert lines[-1] == "172.30.0.2\tabc123"


def test_hosts_file_without_address_has_no_own_line() -> None:
    assert "abc123" not in hosts_file(hostname="abc123", ip=None)


def test_hosts_file_domainname_gives_fqdn_first() -> None:
    text = hosts_file(hostname="web", ip="172.30.0.2", domainname="example.test")
    assert text.splitlines()[-1] == "172.30.0.2\tweb.example.test web"


def test_hosts_file_add_host_entries() -> None:
    text = hosts_file(hostname="h", ip=None, extra_hosts=["db:10.0.0.5", "v6=[::1]"])
    assert "10.0.0.5\tdb" in text.splitlines()
    assert "::1\tv6" in text.splitlines()


def test_hosts_file_link_entries_name_alias_and_container() -> None:
    text = hosts_file(hostname="h", ip=None, links=[("172.30.0.3", "db", "postgres1")])
    assert "172.30.0.3\tdb postgres1" in text.splitlines()
