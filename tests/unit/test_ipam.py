"""IPAM: subnet choice, address allocation, Docker's error messages, persistence."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from dockyard.errors import Conflict, InvalidParameter
from dockyard.network.ipam import (
    AddressSpace,
    PoolExhausted,
    PoolSpec,
    Subnet,
    choose_subnet,
    parse_bip,
)

A = IPv4Address
N = IPv4Network
POOLS = (PoolSpec(N("172.30.0.0/16"), 24),)


def test_choose_subnet_takes_first_free_candidate() -> None:
    assert choose_subnet(POOLS, []) == N("172.30.0.0/24")


def test_choose_subnet_skips_host_routed_prefixes() -> None:
    used = [N("172.30.0.0/24"), N("172.30.1.128/25")]
    assert choose_subnet(POOLS, used) == N("172.30.2.0/24")


def test_choose_subnet_skips_a_route_covering_the_whole_pool() -> None:
    pools = (PoolSpec(N("172.30.0.0/16"), 24), PoolSpec(N("192.168.0.0/16"), 20))
    assert choose_subnet(pools, [N("172.16.0.0/12")]) == N("192.168.0.0/20")


def test_exhausted_defaults_raise_dockers_message() -> None:
    with pytest.raises(PoolExhausted) as err:
        choose_subnet((PoolSpec(N("172.30.0.0/23"), 24),), [N("172.30.0.0/23")])
    assert str(err.value) == (
        "could not find an available, non-overlapping IPv4 address pool among the defaults "
        "to assign to the network"
    )


def test_request_pool_from_defaults_avoids_other_networks() -> None:
    space, first = AddressSpace().request_pool("n1", defaults=POOLS)
    space, second = space.request_pool("n2", defaults=POOLS)
    assert (first.subnet, second.subnet) == (N("172.30.0.0/24"), N("172.30.1.0/24"))


def test_request_pool_reserves_first_host_as_gateway() -> None:
    _, sub = AddressSpace().request_pool("n1", defaults=POOLS)
    assert sub.gateway == A("172.30.0.1")
    assert sub.allocated == {A("172.30.0.1")}


def test_user_subnet_overlapping_another_network_is_conflict() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.0.0/16"))
    with pytest.raises(Conflict, match=r"^Pool overlaps with other one on this address space$"):
        space.request_pool("n2", subnet=N("172.30.5.0/24"))


def test_user_subnet_may_overlap_a_host_route() -> None:
    _, sub = AddressSpace().request_pool(
        "n1", subnet=N("172.30.9.0/24"), host_prefixes=[N("172.30.0.0/16")]
    )
    assert sub.subnet == N("172.30.9.0/24")


def test_gateway_outside_subnet_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"), gateway=A("172.30.8.1"))


def test_ip_range_outside_subnet_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"), ip_range=N("172.30.8.0/25"))


def test_allocate_skips_network_and_gateway() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space, ip = space.allocate("n1")
    assert ip == A("172.30.9.2")


def test_allocate_uses_ip_range() -> None:
    space, _ = AddressSpace().request_pool(
        "n1", subnet=N("172.30.9.0/24"), ip_range=N("172.30.9.128/25")
    )
    _, ip = space.allocate("n1")
    assert ip == A("172.30.9.128")


def test_allocate_static_address() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space, ip = space.allocate("n1", A("172.30.9.50"))
    assert ip == A("172.30.9.50")
    assert A("172.30.9.50") in space.get("n1").allocated


def test_static_address_in_use_is_conflict() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space, _ = space.allocate("n1", A("172.30.9.50"))
    with pytest.raises(Conflict, match="Address already in use"):
        space.allocate("n1", A("172.30.9.50"))


def test_static_gateway_address_is_conflict() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    with pytest.raises(Conflict):
        space.allocate("n1", A("172.30.9.1"))


@pytest.mark.parametrize("ip", ["172.30.9.0", "172.30.9.255", "172.30.10.4"])
def test_static_address_not_a_usable_host_is_invalid(ip: str) -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    with pytest.raises(InvalidParameter):
        space.allocate("n1", A(ip))


def test_exhausted_subnet_raises() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/30"))
    space, ip = space.allocate("n1")
    assert ip == A("172.30.9.2")
    with pytest.raises(PoolExhausted, match="no available IPv4 addresses"):
        space.allocate("n1")


def test_released_address_is_allocated_again() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/30"))
    space, ip = space.allocate("n1")
    space = space.release("n1", ip)
    _, again = space.allocate("n1")
    assert again == ip


def test_release_never_frees_the_gateway() -> None:
    space, sub = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space = space.release("n1", sub.gateway)
    assert sub.gateway in space.get("n1").allocated


def test_released_pool_can_be_requested_again() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space = space.release_pool("n1")
    _, sub = space.request_pool("n2", subnet=N("172.30.9.0/24"))
    assert sub.subnet == N("172.30.9.0/24")


def test_address_space_is_unchanged_by_operations() -> None:
    space, _ = AddressSpace().request_pool("n1", subnet=N("172.30.9.0/24"))
    space.allocate("n1")
    assert space.get("n1").allocated == {A("172.30.9.1")}


def test_json_round_trip() -> None:
    space, _ = AddressSpace().request_pool(
        "n1", subnet=N("172.30.9.0/24"), ip_range=N("172.30.9.64/26")
    )
    space, _ = space.allocate("n1")
    space, _ = space.request_pool("n2", defaults=POOLS)
    assert AddressSpace.from_json(space.to_json()) == space


def test_subnet_dict_round_trip_without_range() -> None:
    sub = Subnet(N("172.30.9.0/24"), A("172.30.9.1"), allocated=frozenset({A("172.30.9.1")}))
    assert Subnet.from_dict(sub.to_dict()) == sub


def test_parse_bip_gives_subnet_and_gateway() -> None:
    assert parse_bip("172.31.0.1/16") == (N("172.31.0.0/16"), A("172.31.0.1"))


def test_parse_bip_network_address_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        parse_bip("172.31.0.0/16")


def test_pool_size_smaller_than_base_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        PoolSpec.parse("10.0.0.0/8", 4)
