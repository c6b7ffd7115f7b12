"""Our archive formats against a real Docker 20.10: it loads what we save, we load what it saves.

Needs the reference dockerd (``/work/shared/tools/reference-dockerd start``) on
/run/reference-docker.sock; with DOCKYARD_REFERENCE_DOCKER=1 the test starts it itself (and
stops it again at the end).
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.content.local import LocalContentStore
from dockyard.image.archive_read import read_archive
from dockyard.image.archive_types import ArchiveImage
from dockyard.image.archive_write import write_archive
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, compute
from dockyard.oci.image import ContainerConfig, ImageConfig, Manifest

pytestmark = pytest.mark.compat

SOCK = Path("/run/reference-docker.sock")
SCRIPT = Path("/work/shared/tools/reference-dockerd")
BUSYBOX = Path("/bin/busybox")


def _docker(env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(
        ["docker", *args], input=stdin, env=env, capture_output=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr.decode()}"
    return proc.stdout.decode()


def _up(env: dict[str, str]) -> bool:
    proc = subprocess.run(
        ["docker", "version"], env=env, capture_output=True, timeout=10, check=False
    )
    return proc.returncode == 0


@pytest.fixture(scope="module")
def docker_env() -> Iterator[dict[str, str]]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{SOCK}"}
    started = False
    if not (SOCK.exists() and _up(env)):
        if os.environ.get("DOCKYARD_REFERENCE_DOCKER") != "1" or not SCRIPT.exists():
            pytest.skip(
                f"reference dockerd is not up on {SOCK} "
                "(run reference-dockerd start or set DOCKYARD_REFERENCE_DOCKER=1)"
            )
        subprocess.run([str(SCRIPT), "start"], timeout=600, check=False)
        started = True
        if not _up(env):
            pytest.skip("reference dockerd did not come up")
    if not BUSYBOX.exists():
        pytest.skip("busybox-static is not installed")
    yield env
    if started:
        subprocess.run([str(SCRIPT), "stop"], timeout=120, check=False)


@pytest.fixture
def tag(docker_env: dict[str, str]) -> Iterator[str]:
    name = f"dockyard-compat-archive:{uuid.uuid4().hex[:10]}"
    yield name
    subprocess.run(
        ["docker", "rmi", "-f", name], env=docker_env, capture_output=True, timeout=60, check=False
    )


def busybox_rootfs() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(BUSYBOX, arcname="bin/busybox")
        link = tarfile.TarInfo("bin/sh")
        link.type, link.linkname = tarfile.SYMTYPE, "busybox"
        tar.addfile(link)
    return buf.getvalue()


def put(store: LocalContentStore, data: bytes) -> Digest:
    writer = store.writer(f"compat-{compute(data)}")
    writer.write(data)
    return writer.commit(len(data), compute(data))


def test_docker_save_output_is_accepted_by_read_archive(
    docker_env: dict[str, str], tag: str, tmp_path: Path
) -> None:
    _docker(docker_env, "import", "-c", 'CMD ["/bin/sh"]', "-", tag, stdin=busybox_rootfs())
    _docker(docker_env, "save", "-o", str(tmp_path / "saved.tar"), tag)
    image_id = _docker(docker_env, "image", "inspect", "-f", "{{.Id}}", tag).strip()
    store = LocalContentStore(tmp_path / "content")
    with open(tmp_path / "saved.tar", "rb") as fh:
        [image] = read_archive(fh, store)
    assert image.config_digest == image_id
    assert image.names == (f"docker.io/library/{tag}",)
    assert len(image.diff_ids) == 1


def test_write_archive_output_loads_and_runs_in_docker(
    docker_env: dict[str, str], tag: str, tmp_path: Path
) -> None:
    store = LocalContentStore(tmp_path / "content")
    plain = busybox_rootfs()
    packed = gzip.compress(plain, mtime=0)  # Docker 20.10 must decompress it on load
    config = ImageConfig(
        architecture="amd64",
        os="linux",
        diff_ids=(compute(plain),),
        config=ContainerConfig(cmd=["/bin/sh"]),
    ).to_bytes()
    manifest = Manifest(
        config=Descriptor(mediatypes.OCI_CONFIG, put(store, config), len(config)),
        layers=(Descriptor(mediatypes.OCI_LAYER_GZIP, put(store, packed), len(packed)),),
    )
    image = ArchiveImage(
        config_digest=compute(config),
        manifest=manifest,
        manifest_digest=put(store, manifest.to_bytes()),
        diff_ids=(compute(plain),),
        names=(f"docker.io/library/{tag}",),
    )
    with open(tmp_path / "ours.tar", "wb") as out:
        write_archive([image], store, out)
    loaded = _docker(docker_env, "load", "-i", str(tmp_path / "ours.tar"))
    assert f"Loaded image: {tag}" in loaded
    assert _docker(docker_env, "image", "inspect", "-f", "{{.Id}}", tag).strip() == compute(config)
    out = _docker(docker_env, "run", "--rm", "--network", "none", tag, "/bin/sh", "-c", "echo ok")
    assert out.strip() == "ok"
