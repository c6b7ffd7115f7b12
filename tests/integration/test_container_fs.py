"""cp, export, diff and commit through the API on a real dockyardd (overlay, runc)."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dockyard.testing.daemon_process import Daemon, wait_for
from dockyard.testing.engine_api import EngineApi

pytestmark = pytest.mark.root

V = "/v1.45"


@pytest.fixture(scope="module")
def image(daemon: Daemon, busybox_tar: Path) -> str:
    status, body, _ = daemon.request(
        "POST", f"{V}/images/create?fromSrc=-&repo=fs/busybox&tag=1", busybox_tar.read_bytes()
    )
    assert status == 200, body
    return "fs/busybox:1"


class Api(EngineApi):
    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon)
        self.images: list[str] = []

    def run_script(self, image: str, script: str, *, wait: bool = True) -> str:
        cid = self.run(image, ["sh", "-c", script], HostConfig={"NetworkMode": "none"})
        if wait:
            wait_for(lambda: self.status(cid) == "exited")
        return cid

    def output(self, cid: str) -> str:
        log = Path(self.inspect(cid)["LogPath"])
        return "".join(json.loads(line)["log"] for line in log.read_text().splitlines())

    def get_archive(self, cid: str, path: str) -> tuple[int, bytes, dict[str, str]]:
        return self.raw("GET", f"/containers/{cid}/archive?path={quote(path)}")

    def put_archive(self, cid: str, path: str, tar: bytes, query: str = "") -> tuple[int, bytes]:
        status, body, _ = self.raw(
            "PUT", f"/containers/{cid}/archive?path={quote(path)}{query}", tar
        )
        return status, body


@pytest.fixture
def api(daemon: Daemon) -> Iterator[Api]:
    a = Api(daemon)
    try:
        yield a
    finally:
        a.cleanup()
        for ref in a.images:
            a.call("DELETE", f"/images/{ref}?force=1")


def _tar(*members: tuple[str, str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, kind, arg in members:
            info = tarfile.TarInfo(name)
            if kind == "f":
                info.size = len(arg)
                tf.addfile(info, io.BytesIO(arg.encode()))
            elif kind == "d":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tf.addfile(info)
            elif kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, arg
                tf.addfile(info)
    return buf.getvalue()


def _members(data: bytes) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        for m in tf:
            fh = tf.extractfile(m) if m.isreg() else None
            out[m.name.rstrip("/")] = fh.read() if fh is not None else None
    return out


def _stat(headers: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"])))


def test_get_archive_of_running_container_sends_tar_and_stat(api: Api, image: str) -> None:
    cid = api.run_script(image, "mkdir /d; echo hi > /d/f; sleep 30", wait=False)
    wait_for(lambda: api.get_archive(cid, "/d/f")[0] == 200)
    status, data, headers = api.get_archive(cid, "/d")
    assert status == 200
    assert _members(data) == {"d": None, "d/f": b"hi\n"}
    stat = _stat(headers)
    assert (stat["name"], stat["mode"], stat["linkTarget"]) == ("d", (1 << 31) | 0o755, "")


def test_head_archive_reports_escaping_symlink_target_inside_container(
    api: Api, image: str, daemon: Daemon
) -> None:
    cid = api.run_script(image, "ln -s /../../../../etc/passwd /x")
    status, _, headers = daemon.request("HEAD", f"{V}/containers/{cid}/archive?path=/x")
    assert status == 200
    assert _stat(headers)["linkTarget"] == "/etc/passwd"


def test_archive_through_root_symlink_reads_the_containers_file(api: Api, image: str) -> None:
    cid = api.run_script(image, "ln -s / /escape; echo container-only > /etc/marker")
    status, data, _ = api.get_archive(cid, "/escape/etc/marker")
    assert status == 200
    assert _members(data) == {"marker": b"container-only\n"}
    assert Path("/etc/shadow").exists()
    assert api.get_archive(cid, "/escape/etc/shadow")[0] == 404  # only the host has one


def test_missing_path_is_404_naming_path_and_container(api: Api, image: str) -> None:
    cid = api.run_script(image, "true")
    status, body, _ = api.get_archive(cid, "/nope")
    assert status == 404
    assert json.loads(body)["message"] == f"Could not find the file /nope in container {cid}"


def test_put_archive_into_stopped_container_is_seen_by_next_run(api: Api, image: str) -> None:
    cid = api.run_script(image, "cat /in/hello 2>/dev/null || echo missing")
    assert api.put_archive(cid, "/", _tar(("in", "d", ""), ("in/hello", "f", "copied\n")))[0] == 200
    assert not os.path.ismount(Path(api.daemon.exec_root) / "containers" / cid / "rootfs")
    assert api.call("POST", f"/containers/{cid}/start")[0] == 204
    wait_for(lambda: api.status(cid) == "exited")
    assert api.output(cid).splitlines()[-1] == "copied"


def test_put_archive_with_dotdot_member_is_400_and_writes_nothing(api: Api, image: str) -> None:
    cid = api.run_script(image, "mkdir /d")
    name = f"dockyard-escape-{uuid.uuid4().hex[:8]}"
    status, body = api.put_archive(cid, "/d", _tar((f"../../../../../../tmp/{name}", "f", "x")))
    assert status == 400, body
    assert b"is outside of" in body
    assert not Path("/tmp", name).exists()
    assert api.get_archive(cid, f"/tmp/{name}")[0] == 404


def test_put_archive_with_symlink_leaving_destination_is_400(api: Api, image: str) -> None:
    cid = api.run_script(image, "mkdir /d")
    status, body = api.put_archive(cid, "/d", _tar(("evil", "l", "../../../../../tmp")))
    assert status == 400
    assert b"invalid symlink" in body


def test_put_archive_through_root_symlink_lands_inside_container(api: Api, image: str) -> None:
    cid = api.run_script(image, "ln -s / /escape")
    name = f"dockyard-inside-{uuid.uuid4().hex[:8]}"
    assert api.put_archive(cid, "/escape/tmp", _tar((name, "f", "in")))[0] == 200
    assert not Path("/tmp", name).exists()
    assert _members(api.get_archive(cid, f"/tmp/{name}")[1]) == {name: b"in"}


def test_put_archive_onto_a_file_is_400(api: Api, image: str) -> None:
    cid = api.run_script(image, "echo x > /file")
    status, body = api.put_archive(cid, "/file", _tar(("a", "f", "a")))
    assert status == 400
    assert json.loads(body)["message"] == "extraction point is not a directory"


def test_put_archive_refuses_replacing_dir_with_file_when_asked(api: Api, image: str) -> None:
    cid = api.run_script(image, "mkdir /d")
    status, body = api.put_archive(cid, "/", _tar(("d", "f", "x")), "&noOverwriteDirNonDir=true")
    assert status == 400
    assert b"cannot overwrite directory" in body


def test_export_is_a_tar_of_the_whole_rootfs(api: Api, image: str, daemon: Daemon) -> None:
    cid = api.run_script(image, "echo exported > /exported")
    status, data, headers = daemon.request("GET", f"{V}/containers/{cid}/export")
    assert status == 200
    assert headers["Content-Type"] == "application/x-tar"
    members = _members(data)
    assert members["exported"] == b"exported\n"
    assert "bin/busybox" in members


def test_changes_report_added_modified_and_deleted(api: Api, image: str) -> None:
    cid = api.run_script(image, "echo a > /added; rm /bin/ls; mkdir /tmp/sub")
    status, body = api.call("GET", f"/containers/{cid}/changes")
    assert status == 200
    assert {(c["Path"], c["Kind"]) for c in body} == {
        ("/added", 1),
        ("/bin", 0),
        ("/bin/ls", 2),
        ("/tmp", 0),
        ("/tmp/sub", 1),
    }


def test_changes_of_an_untouched_container_are_null(api: Api, image: str) -> None:
    cid = api.run_script(image, "true")
    assert api.call("GET", f"/containers/{cid}/changes") == (200, None)


def test_commit_makes_an_image_that_runs_with_the_committed_file(api: Api, image: str) -> None:
    cid = api.run_script(image, "echo committed > /state")
    status, body = api.call("POST", f"/commit?container={cid}&repo=fs/committed&tag=1&comment=c1")
    assert status == 201, body
    api.images.append("fs/committed:1")
    details = api.call("GET", "/images/fs/committed:1/json")[1]
    assert details["Id"] == body["Id"]
    assert details["Comment"] == "c1"
    assert details["Parent"] == api.call("GET", f"/images/{image}/json")[1]["Id"]
    assert len(details["RootFS"]["Layers"]) == 2
    run = api.run_script("fs/committed:1", "cat /state")
    assert api.output(run) == "committed\n"


def test_commit_with_change_cmd_sets_the_new_default_command(api: Api, image: str) -> None:
    cid = api.run_script(image, "echo v2 > /version")
    change = quote('CMD ["cat","/version"]')
    status, body = api.call("POST", f"/commit?container={cid}&changes={change}")
    assert status == 201, body
    api.images.append(body["Id"])
    history = api.call("GET", f"/images/{body['Id']}/history")[1]
    assert history[0]["CreatedBy"] == "sh -c echo v2 > /version"
    status, created = api.call(
        "POST", "/containers/create", {"Image": body["Id"], "HostConfig": {"NetworkMode": "none"}}
    )
    assert status == 201
    api.containers.append(created["Id"])
    assert api.call("POST", f"/containers/{created['Id']}/start")[0] == 204
    wait_for(lambda: api.status(created["Id"]) == "exited")
    assert api.output(created["Id"]) == "v2\n"


def test_commit_of_running_container_pauses_and_resumes_it(api: Api, image: str) -> None:
    cid = api.run_script(image, "echo live > /live; sleep 30", wait=False)
    wait_for(lambda: api.get_archive(cid, "/live")[0] == 200)
    status, body = api.call("POST", f"/commit?container={cid}")
    assert status == 201, body
    api.images.append(body["Id"])
    assert api.status(cid) == "running"
