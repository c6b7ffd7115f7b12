"""docker CLI 28 and docker-py, unchanged: top, stats, update, rename, prune, health."""

from __future__ import annotations

import json
from collections.abc import Iterator

import docker as dockerpy
import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.docker_cli import docker

pytestmark = [pytest.mark.compat, pytest.mark.root]


class Cli:
    """The docker CLI on the session daemon; removes the containers it named at the end."""

    def __init__(self, daemon: Daemon) -> None:
        self.host = daemon.host
        self.names: list[str] = []

    def __call__(self, *args: str, check: bool = True) -> str:
        proc = docker(self.host, *args, check=check)
        return proc.stdout.decode() + (proc.stderr.decode() if not check else "")

    def run(self, name: str, *args: str) -> str:
        self.names.append(name)
        return self("run", "-d", "--network", "none", "--name", name, *args).strip()

    def create(self, name: str, *args: str) -> str:
        self.names.append(name)
        return self("create", "--network", "none", "--name", name, *args).strip()


@pytest.fixture
def cli(daemon: Daemon) -> Iterator[Cli]:
    c = Cli(daemon)
    try:
        yield c
    finally:
        for name in c.names:
            docker(c.host, "rm", "-f", name, check=False)


def test_docker_top_shows_the_command(cli: Cli, busybox_image: str) -> None:
    cli.run("cliops-top", busybox_image, "sleep", "300")
    lines = cli("top", "cliops-top").splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert lines[1].endswith("sleep 300")


def test_docker_stats_no_stream_shows_a_row(cli: Cli, busybox_image: str) -> None:
    cli.run("cliops-stats", busybox_image, "sleep", "300")
    out = cli("stats", "--no-stream", "--format", "{{json .}}", "cliops-stats")
    row = json.loads(out.splitlines()[0])
    assert row["Name"] == "cliops-stats"
    assert row["PIDs"] == "1"
    assert row["MemUsage"].split(" / ")[0] != "0B"


def test_docker_update_changes_limits(cli: Cli, busybox_image: str) -> None:
    cli.run("cliops-update", busybox_image, "sleep", "300")
    assert cli("update", "--memory", "64m", "--memory-swap", "128m", "--cpus", "0.5",
               "cliops-update").strip() == "cliops-update"  # fmt: skip
    hc = json.loads(cli("inspect", "--format", "{{json .HostConfig}}", "cliops-update"))
    assert (hc["Memory"], hc["MemorySwap"], hc["NanoCpus"]) == (64 << 20, 128 << 20, 5 * 10**8)


def test_docker_update_memory_alone_is_refused_like_dockerd(cli: Cli, busybox_image: str) -> None:
    cli.create("cliops-update2", busybox_image, "true")
    proc = docker(cli.host, "update", "--memory", "64m", "cliops-update2", check=False)
    assert proc.returncode != 0
    assert (
        "Memory limit should be smaller than already set memoryswap limit" in proc.stderr.decode()
    )


def test_docker_rename(cli: Cli, busybox_image: str) -> None:
    cli.create("cliops-before", busybox_image, "true")
    cli("rename", "cliops-before", "cliops-after")
    cli.names.append("cliops-after")
    assert cli("inspect", "--format", "{{.Name}}", "cliops-after").strip() == "/cliops-after"


def test_docker_container_prune_removes_stopped_containers(cli: Cli, busybox_image: str) -> None:
    stopped = cli.create("cliops-prune", "--label", "cliops=prune", busybox_image, "true")
    out = cli("container", "prune", "-f", "--filter", "label=cliops=prune")
    assert stopped in out
    assert "Total reclaimed space:" in out
    assert docker(cli.host, "inspect", "cliops-prune", check=False).returncode != 0


def test_docker_run_health_cmd_becomes_healthy(cli: Cli, busybox_image: str) -> None:
    cli.run("cliops-health", "--health-cmd", "true", "--health-interval", "1s",
            busybox_image, "sleep", "300")  # fmt: skip

    def status() -> str:
        return cli("inspect", "--format", "{{.State.Health.Status}}", "cliops-health").strip()

    wait_for(lambda: status() == "healthy", timeout=5)
    ps = cli("ps", "--filter", "name=cliops-health", "--format", "{{.Status}}").strip()
    assert ps.endswith("(healthy)")
    listed = cli("ps", "--filter", "health=healthy", "--format", "{{.Names}}").split()
    assert "cliops-health" in listed


def test_docker_py_stats_and_top(client: dockerpy.DockerClient, busybox_image: str) -> None:
    container = client.containers.run(
        busybox_image, ["sleep", "300"], detach=True, network_mode="none", name="pyops"
    )
    try:
        stats = container.stats(stream=False)
        assert stats["id"] == container.id and stats["name"] == "/pyops"
        assert stats["memory_stats"]["usage"] > 0
        assert stats["precpu_stats"]["cpu_usage"]["total_usage"] > 0
        top = container.top()
        assert top["Titles"][1] == "PID"
        assert top["Processes"][0][-1] == "sleep 300"
    finally:
        container.remove(force=True)
