"""docker-py's high-level client, unchanged, manages images on dockyardd."""

from __future__ import annotations

import io
from pathlib import Path

import docker
import pytest

pytestmark = [pytest.mark.compat, pytest.mark.root]


def test_lists_and_gets_images(client: docker.DockerClient, busybox_image: str) -> None:
    tags = [t for image in client.images.list() for t in image.tags]
    assert busybox_image in tags
    image = client.images.get(busybox_image)
    assert image.id.startswith("sha256:")
    assert image.attrs["Config"]["Cmd"] == ["sh"]


def test_tag_and_remove(client: docker.DockerClient, busybox_image: str) -> None:
    image = client.images.get(busybox_image)
    assert image.tag("pyclient/tagged", "v2")
    assert "pyclient/tagged:v2" in client.images.get("pyclient/tagged:v2").tags
    client.images.remove("pyclient/tagged:v2")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("pyclient/tagged:v2")


def test_save_and_load(client: docker.DockerClient, busybox_image: str, tmp_path: Path) -> None:
    image = client.images.get(busybox_image)
    image.tag("pyclient/saved", "1")
    data = b"".join(client.images.get("pyclient/saved:1").save(named="pyclient/saved:1"))
    client.images.remove("pyclient/saved:1")
    loaded = client.images.load(io.BytesIO(data))
    assert len(loaded) == 1
    assert "pyclient/saved:1" in loaded[0].tags
    assert loaded[0].id == image.id
    client.images.remove("pyclient/saved:1")


def test_unknown_image_raises_image_not_found(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nope/nothing:here")
