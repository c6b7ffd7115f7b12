"""docker cp / export / diff / commit (CLI 28) and docker-py's put/get_archive on dockyardd,
with a few outputs checked against a real dockerd 20.10."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from dockyard.testing.daemon_process import Daemon
from dockyard.testing.docker_cli import docker as docker_cli

pytestmark = [pytest.mark.compat, pytest.mark.root]


@pytest.fixture
def names(daemon: Daemon) -> Iterator[list[str]]:
    """Container names to remove after the test, on whatever host they were made."""
    made: list[str] = []
    try:
        yield made
    finally:
        for entry in made:
            host, _, name = entry.rpartition("|")
            docker_cli(host or daemon.host, "rm", "-f", name, check=False)


def _run(host: str, image: str, script: str, names: list[str], *, detach: bool = False) -> str:
    name = f"fs-{uuid.uuid4().hex[:10]}"
    names.append(f"{host}|{name}")
    args = ["run", "--network", "none", "--name", name]
    if detach:
        args.append("-d")
    docker_cli(host, *args, image, "sh", "-c", script)
    return name


def test_docker_cp_out_and_in(
    daemon: Daemon, busybox_image: str, names: list[str], tmp_path: Path
) -> None:
    c = _run(daemon.host, busybox_image, "mkdir /d; echo inside > /d/f", names)
    docker_cli(daemon.host, "cp", f"{c}:/d", str(tmp_path / "out"))
    assert (tmp_path / "out" / "f").read_text() == "inside\n"
    (tmp_path / "host.txt").write_text("from host\n")
    docker_cli(daemon.host, "cp", str(tmp_path / "host.txt"), f"{c}:/d/")
    docker_cli(daemon.host, "cp", f"{c}:/d/host.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "from host\n"


def test_docker_cp_through_root_symlink_stays_in_container(
    daemon: Daemon, busybox_image: str, names: list[str], tmp_path: Path
) -> None:
    c = _run(daemon.host, busybox_image, "ln -s / /escape; echo mine > /etc/marker", names)
    docker_cli(daemon.host, "cp", f"{c}:/escape/etc/marker", str(tmp_path / "marker"))
    assert (tmp_path / "marker").read_text() == "mine\n"
    proc = docker_cli(daemon.host, "cp", f"{c}:/escape/etc/shadow", str(tmp_path), check=False)
    assert proc.returncode != 0
    assert b"Could not find the file /escape/etc/shadow" in proc.stderr


def test_docker_export_lists_the_rootfs(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    c = _run(daemon.host, busybox_image, "echo x > /exported", names)
    tar = docker_cli(daemon.host, "export", c).stdout
    listing = subprocess.run(["tar", "t"], input=tar, capture_output=True, check=True).stdout
    assert {"exported", "bin/busybox"} <= set(listing.decode().split())


def test_docker_diff_prints_change_kinds(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    c = _run(daemon.host, busybox_image, "echo a > /added; rm /bin/ls", names)
    lines = docker_cli(daemon.host, "diff", c).stdout.decode().splitlines()
    assert sorted(lines) == ["A /added", "C /bin", "D /bin/ls"]


def test_docker_commit_with_change_then_run(
    daemon: Daemon, busybox_image: str, names: list[str]
) -> None:
    c = _run(daemon.host, busybox_image, "echo saved > /saved", names)
    docker_cli(daemon.host, "commit", "-c", 'CMD ["echo","x"]', c, "fscompat/committed:1")
    try:
        out = docker_cli(daemon.host, "run", "--rm", "--network", "none", "fscompat/committed:1")
        assert out.stdout == b"x\n"
        cat = ["run", "--rm", "--network", "none", "fscompat/committed:1", "cat", "/saved"]
        assert docker_cli(daemon.host, *cat).stdout == b"saved\n"
    finally:
        docker_cli(daemon.host, "rmi", "-f", "fscompat/committed:1", check=False)


def test_docker_py_put_and_get_archive(
    client: docker.DockerClient, busybox_image: str, names: list[str], daemon: Daemon
) -> None:
    container = client.containers.create(busybox_image, ["true"], network_mode="none")
    names.append(f"{daemon.host}|{container.id}")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("py.txt")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"py\n"))
    assert container.put_archive("/tmp", buf.getvalue())
    chunks, stat = container.get_archive("/tmp/py.txt")
    assert stat["name"] == "py.txt"
    assert stat["size"] == 3
    with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tf:
        fh = tf.extractfile("py.txt")
        assert fh is not None
        assert fh.read() == b"py\n"
    with pytest.raises(docker.errors.NotFound):
        container.get_archive("/tmp/missing")


# -- against the reference dockerd -----------------------------------------------------------


@pytest.fixture(scope="module")
def reference_image(reference_docker: str, busybox_tar: Path) -> Iterator[str]:
    ref = "dockyard-compat-fs/busybox:1"
    docker_cli(reference_docker, "import", "-c", 'CMD ["sh"]', str(busybox_tar), ref)
    try:
        yield ref
    finally:
        docker_cli(reference_docker, "rmi", "-f", ref, check=False)


SCRIPT = "mkdir /d; echo hi > /d/f; ln -s /../../../../etc/passwd /x; rm /bin/ls; echo a > /tmp/a"


def _stat(host: str, container: str, path: str) -> dict[str, object]:
    sock = host.removeprefix("unix://")
    proc = subprocess.run(
        ["curl", "-sI", "--unix-socket", sock,
         f"http://x/v1.41/containers/{container}/archive?path={path}"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    for line in proc.stdout.decode().splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "x-docker-container-path-stat":
            doc = json.loads(base64.b64decode(value.strip()))
            doc.pop("mtime")
            return dict(doc)
    raise AssertionError(f"no stat header for {path}: {proc.stdout!r}")


def test_stat_header_matches_dockerd(
    daemon: Daemon,
    busybox_image: str,
    reference_docker: str,
    reference_image: str,
    names: list[str],
) -> None:
    ours = _run(daemon.host, busybox_image, SCRIPT, names)
    theirs = _run(reference_docker, reference_image, SCRIPT, names)
    for path in ("/d", "/d/f", "/x", "/", "/d/"):
        assert _stat(daemon.host, ours, path) == _stat(reference_docker, theirs, path), path


def test_diff_matches_dockerd(
    daemon: Daemon,
    busybox_image: str,
    reference_docker: str,
    reference_image: str,
    names: list[str],
) -> None:
    ours = _run(daemon.host, busybox_image, SCRIPT, names)
    theirs = _run(reference_docker, reference_image, SCRIPT, names)
    mine = docker_cli(daemon.host, "diff", ours).stdout.decode().splitlines()
    real = docker_cli(reference_docker, "diff", theirs).stdout.decode().splitlines()
    assert sorted(mine) == sorted(real)
