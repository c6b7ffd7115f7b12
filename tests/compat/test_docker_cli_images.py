"""The docker CLI 28, unchanged, manages images on dockyardd."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.testing.daemon_process import Daemon
from dockyard.testing.docker_cli import docker

pytestmark = [pytest.mark.compat, pytest.mark.root]


def test_version_negotiates_the_advertised_api(daemon: Daemon) -> None:
    out = docker(
        daemon.host, "version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}}"
    )
    assert out.stdout.decode().split() == ["1.45", "1.45"]


def test_info_reports_the_engine(daemon: Daemon) -> None:
    info = json.loads(docker(daemon.host, "info", "--format", "{{json .}}").stdout)
    assert info["OSType"] == "linux"
    assert info["Driver"] == "overlayfs"
    assert info["NCPU"] >= 1


def test_import_then_images_lists_it(daemon: Daemon, busybox_image: str) -> None:
    out = docker(daemon.host, "images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}")
    assert "busybox:latest" in out.stdout.decode()


def test_tag_and_rmi_untag(daemon: Daemon, busybox_image: str) -> None:
    docker(daemon.host, "tag", busybox_image, "example.com/team/bb:v1")
    listed = docker(daemon.host, "images", "-q", "example.com/team/bb").stdout.split()
    assert len(listed) == 1
    out = docker(daemon.host, "rmi", "example.com/team/bb:v1").stdout.decode()
    assert "Untagged: example.com/team/bb:v1" in out
    assert docker(daemon.host, "images", "-q", "example.com/team/bb").stdout.strip() == b""


def test_history_shows_the_import_as_docker_does(daemon: Daemon, busybox_image: str) -> None:
    out = docker(
        daemon.host,
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}|{{.Comment}}",
        busybox_image,
    )
    assert out.stdout.decode().splitlines() == ["|Imported from -"]


def test_inspect_has_docker_shape(daemon: Daemon, busybox_image: str) -> None:
    doc = json.loads(docker(daemon.host, "image", "inspect", busybox_image).stdout)[0]
    assert doc["Id"].startswith("sha256:")
    assert "busybox:latest" in doc["RepoTags"]
    assert doc["Config"]["Cmd"] == ["sh"]
    assert doc["RootFS"]["Type"] == "layers"
    assert doc["Os"] == "linux"


def test_save_then_load_restores_a_removed_image(
    daemon: Daemon, busybox_image: str, tmp_path: Path
) -> None:
    docker(daemon.host, "tag", busybox_image, "roundtrip:1")
    image_id = docker(
        daemon.host, "image", "inspect", "-f", "{{.Id}}", "roundtrip:1"
    ).stdout.strip()
    archive = tmp_path / "rt.tar"
    docker(daemon.host, "save", "-o", str(archive), "roundtrip:1")
    docker(daemon.host, "rmi", "roundtrip:1")
    out = docker(daemon.host, "load", "-i", str(archive)).stdout.decode()
    assert "Loaded image: roundtrip:1" in out
    assert (
        docker(daemon.host, "image", "inspect", "-f", "{{.Id}}", "roundtrip:1").stdout.strip()
        == image_id
    )
    docker(daemon.host, "rmi", "roundtrip:1")


def test_rmi_of_unknown_image_prints_daemon_message(daemon: Daemon) -> None:
    proc = docker(daemon.host, "rmi", "no-such-image:here", check=False)
    assert proc.returncode != 0
    assert proc.stderr.decode().strip() == (
        "Error response from daemon: No such image: no-such-image:here"
    )


def test_load_of_corrupt_archive_fails_and_changes_nothing(daemon: Daemon, tmp_path: Path) -> None:
    before = docker(daemon.host, "images", "-aq", "--no-trunc").stdout
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"this is not a tar archive" * 100)
    proc = docker(daemon.host, "load", "-i", str(bad), check=False)
    assert proc.returncode != 0
    assert docker(daemon.host, "images", "-aq", "--no-trunc").stdout == before


def test_archive_from_real_docker_loads_into_dockyard(
    daemon: Daemon, reference_docker: str, busybox_tar: Path, tmp_path: Path
) -> None:
    docker(reference_docker, "import", str(busybox_tar), "dockyard-compat/from-docker:1")
    archive = tmp_path / "from-docker.tar"
    docker(reference_docker, "save", "-o", str(archive), "dockyard-compat/from-docker:1")
    ref_id = docker(
        reference_docker, "image", "inspect", "-f", "{{.Id}}", "dockyard-compat/from-docker:1"
    ).stdout.strip()
    docker(reference_docker, "rmi", "dockyard-compat/from-docker:1")
    out = docker(daemon.host, "load", "-i", str(archive)).stdout.decode()
    assert "dockyard-compat/from-docker:1" in out
    our_id = docker(
        daemon.host, "image", "inspect", "-f", "{{.Id}}", "dockyard-compat/from-docker:1"
    ).stdout.strip()
    assert our_id == ref_id
    docker(daemon.host, "rmi", "dockyard-compat/from-docker:1")


def test_archive_from_dockyard_loads_into_real_docker(
    daemon: Daemon, reference_docker: str, busybox_image: str, tmp_path: Path
) -> None:
    docker(daemon.host, "tag", busybox_image, "dockyard-compat/to-docker:1")
    our_id = docker(
        daemon.host, "image", "inspect", "-f", "{{.Id}}", "dockyard-compat/to-docker:1"
    ).stdout.strip()
    archive = tmp_path / "to-docker.tar"
    docker(daemon.host, "save", "-o", str(archive), "dockyard-compat/to-docker:1")
    out = docker(reference_docker, "load", "-i", str(archive)).stdout.decode()
    assert "dockyard-compat/to-docker:1" in out
    ref_id = docker(
        reference_docker, "image", "inspect", "-f", "{{.Id}}", "dockyard-compat/to-docker:1"
    ).stdout.strip()
    assert ref_id == our_id
    docker(reference_docker, "rmi", "dockyard-compat/to-docker:1")
    docker(daemon.host, "rmi", "dockyard-compat/to-docker:1")
