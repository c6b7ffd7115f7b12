"""The CLI verbs in-process against the fake Engine API: flags, requests, output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.testing.fake_engine_api import FakeEngine, invoke

NOW = 1_700_000_000.0
BUSYBOX_ID = "sha256:" + "ab" * 32


def _engine_with_busybox() -> FakeEngine:
    engine = FakeEngine()
    engine.images = [
        {
            "Id": BUSYBOX_ID,
            "RepoTags": ["busybox:latest"],
            "RepoDigests": ["busybox@sha256:" + "cd" * 32],
            "Created": int(NOW - 7200),
            "Size": 4_860_000,
            "SharedSize": -1,
            "Containers": -1,
        },
        {
            "Id": "sha256:" + "ef" * 32,
            "RepoTags": [],
            "RepoDigests": [],
            "Created": int(NOW - 3 * 86400),
            "Size": 1234,
            "SharedSize": -1,
            "Containers": -1,
        },
    ]
    engine.inspect = {"busybox": {"Id": BUSYBOX_ID, "RepoTags": ["busybox:latest"]}}
    return engine


def test_images_prints_docker_table() -> None:
    result = invoke(["images"], _engine_with_busybox(), now=NOW)
    assert result.exit_code == 0
    assert result.stdout == (
        "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n"
        "busybox      latest    abababababab   2 hours ago   4.86MB\n"
        "<none>       <none>    efefefefefef   3 days ago    1.23kB\n"
    )


def test_images_quiet_prints_short_ids() -> None:
    result = invoke(["images", "-q"], _engine_with_busybox(), now=NOW)
    assert result.stdout == "abababababab\nefefefefefef\n"


def test_images_no_trunc_prints_full_ids() -> None:
    result = invoke(["image", "ls", "-q", "--no-trunc"], _engine_with_busybox(), now=NOW)
    assert result.stdout.splitlines()[0] == BUSYBOX_ID


def test_images_digests_adds_digest_column() -> None:
    result = invoke(["images", "--digests"], _engine_with_busybox(), now=NOW)
    header, first, _ = result.stdout.splitlines()
    assert header.split()[:3] == ["REPOSITORY", "TAG", "DIGEST"]
    assert "sha256:" + "cd" * 32 in first


def test_images_custom_table_format_prints_headers() -> None:
    engine = _engine_with_busybox()
    result = invoke(["images", "--format", "table {{.ID}}\\t{{.Repository}}"], engine, now=NOW)
    assert result.stdout.splitlines()[:2] == ["IMAGE ID       REPOSITORY", "abababababab   busybox"]


def test_images_json_format_prints_one_object_per_line() -> None:
    result = invoke(["images", "--format", "json"], _engine_with_busybox(), now=NOW)
    first = json.loads(result.stdout.splitlines()[0])
    assert first["Repository"] == "busybox"
    assert first["CreatedSince"] == "2 hours ago"


def test_images_unknown_field_is_template_error_exit_1() -> None:
    result = invoke(["images", "--format", "{{.Nope}}"], _engine_with_busybox(), now=NOW)
    assert result.exit_code == 1
    assert "can't evaluate field Nope in type *formatter.imageContext" in result.stderr


def test_images_filters_and_reference_go_to_the_daemon() -> None:
    engine = _engine_with_busybox()
    invoke(["images", "-a", "-f", "dangling=true", "busybox"], engine)
    req = engine.last("GET", "/images/json")
    assert req.param("all") == "1"
    assert json.loads(req.param("filters") or "") == {
        "dangling": {"true": True},
        "reference": {"busybox": True},
    }


def test_unknown_flag_exits_125_with_usage() -> None:
    result = invoke(["images", "--bogus"], FakeEngine())
    assert result.exit_code == 125
    assert result.stderr.startswith("unknown flag: --bogus\n\nUsage:  dockyard images")


def test_wrong_argument_count_exits_1() -> None:
    result = invoke(["tag", "a"], FakeEngine())
    assert result.exit_code == 1
    assert "'dockyard tag' requires 2 arguments" in result.stderr


def test_unknown_command_exits_1() -> None:
    assert invoke(["frobnicate"], FakeEngine()).exit_code == 1


def test_daemon_error_prints_message_and_exits_125() -> None:
    engine = FakeEngine()
    engine.fail("GET", "/images/json", 500, "boom")
    result = invoke(["images"], engine)
    assert (result.exit_code, result.stderr) == (125, "Error response from daemon: boom\n")


def test_unreachable_daemon_exits_125() -> None:
    result = invoke(["images"], FakeEngine(unreachable=True))
    assert result.exit_code == 125
    assert result.stderr.startswith("Cannot connect to the Dockyard daemon at")


def test_requests_use_negotiated_version_prefix() -> None:
    engine = FakeEngine(api_version="1.43")
    invoke(["images"], engine)
    assert engine.requests[0].path == "/_ping"
    assert engine.requests[1].path == "/images/json"


def test_version_prints_client_and_server_sections() -> None:
    result = invoke(["version"], FakeEngine())
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "Client:\n Version:           0.1.0\n API version:       1.45\n"
    )
    assert "\nServer: Dockyard Engine\n Engine:\n  Version:          0.1.0\n" in result.stdout


def test_version_reports_downgraded_api() -> None:
    result = invoke(["version"], FakeEngine(api_version="1.41"))
    assert " API version:       1.41 (downgraded from 1.45)\n" in result.stdout


def test_version_format_reads_server_fields() -> None:
    result = invoke(["version", "--format", "{{.Server.Version}}"], FakeEngine())
    assert result.stdout == "0.1.0\n"


def test_version_bad_template_exits_64() -> None:
    assert invoke(["version", "--format", "{{.X"], FakeEngine()).exit_code == 64


def test_info_format_reads_server_field() -> None:
    result = invoke(["info", "--format", "{{.ServerVersion}}"], FakeEngine())
    assert result.stdout == "0.1.0\n"


def test_image_inspect_prints_indented_array() -> None:
    result = invoke(["image", "inspect", "busybox"], _engine_with_busybox())
    assert (
        result.stdout
        == json.dumps([{"Id": BUSYBOX_ID, "RepoTags": ["busybox:latest"]}], indent=4) + "\n"
    )


def test_inspect_format_applies_per_object() -> None:
    result = invoke(["inspect", "-f", "{{.Id}}", "busybox"], _engine_with_busybox())
    assert result.stdout == BUSYBOX_ID + "\n"


def test_inspect_missing_object_prints_found_then_error_exit_1() -> None:
    result = invoke(["inspect", "busybox", "nope"], _engine_with_busybox())
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["Id"] == BUSYBOX_ID
    assert result.stderr == "Error: No such object: nope\n"


def test_image_inspect_missing_image_prints_daemon_error_exit_1() -> None:
    result = invoke(["image", "inspect", "nope"], _engine_with_busybox())
    assert (result.exit_code, result.stdout) == (1, "[]\n")
    assert result.stderr == "Error response from daemon: No such image: nope\n"


def test_history_table_truncates_created_by() -> None:
    engine = FakeEngine()
    engine.history = {
        "busybox": [
            {
                "Id": BUSYBOX_ID,
                "Created": int(NOW - 3600),
                "CreatedBy": "/bin/sh -c " + "x" * 60,
                "Size": 4_860_000,
                "Comment": "imported",
            }
        ]
    }
    result = invoke(["history", "busybox"], engine, now=NOW)
    header, row = result.stdout.splitlines()
    assert header.split("   ")[0:2] == ["IMAGE", "       CREATED"] or header.startswith("IMAGE")
    assert "About an hour ago" in row
    assert "/bin/sh -c " + "x" * 33 + "…" in row


def test_history_not_human_prints_raw_size() -> None:
    engine = FakeEngine()
    engine.history = {"b": [{"Id": "<missing>", "Created": 0, "CreatedBy": "", "Size": 42}]}
    result = invoke(["history", "-H=false", "--format", "{{.ID}} {{.Size}}", "b"], engine)
    assert result.stdout == "<missing> 42\n"


def test_tag_splits_repository_and_tag() -> None:
    engine = _engine_with_busybox()
    assert invoke(["tag", "busybox", "registry:5000/me/box:v1"], engine).exit_code == 0
    req = engine.last("POST", "/images/busybox/tag")
    assert (req.param("repo"), req.param("tag")) == ("registry:5000/me/box", "v1")


def test_tag_defaults_to_latest() -> None:
    engine = _engine_with_busybox()
    invoke(["image", "tag", "busybox", "box"], engine)
    assert engine.last("POST").param("tag") == "latest"


def test_rmi_prints_untagged_and_deleted() -> None:
    engine = FakeEngine()
    engine.removals = {"busybox": [{"Untagged": "busybox:latest"}, {"Deleted": BUSYBOX_ID}]}
    result = invoke(["rmi", "-f", "busybox"], engine)
    assert result.stdout == f"Untagged: busybox:latest\nDeleted: {BUSYBOX_ID}\n"
    assert engine.last("DELETE").param("force") == "1"


def test_rmi_continues_after_a_missing_image() -> None:
    engine = FakeEngine()
    engine.removals = {"b": [{"Deleted": "sha256:1"}]}
    result = invoke(["image", "rm", "nope", "b"], engine)
    assert result.exit_code == 125
    assert result.stdout == "Deleted: sha256:1\n"
    assert result.stderr == "Error response from daemon: No such image: nope\n"


def test_save_refuses_a_terminal() -> None:
    result = invoke(["save", "busybox"], FakeEngine(), stdout_tty=True)
    assert result.exit_code == 1
    assert result.stderr == (
        "cowardly refusing to save to a terminal. Use the -o flag or redirect\n"
    )


def test_save_streams_to_redirected_stdout() -> None:
    result = invoke(["save", "busybox", "alpine"], FakeEngine(saved=b"\x00tar"))
    assert result.stdout_bytes == b"\x00tar"


def test_save_writes_output_file(tmp_path: Path) -> None:
    engine = FakeEngine(saved=b"tarbytes")
    target = tmp_path / "out.tar"
    assert invoke(["image", "save", "-o", str(target), "busybox"], engine).exit_code == 0
    assert target.read_bytes() == b"tarbytes"
    assert engine.last("GET", "/images/get").query == [("names", "busybox")]


def test_load_uploads_file_and_prints_stream(tmp_path: Path) -> None:
    archive = tmp_path / "in.tar"
    archive.write_bytes(b"archive")
    engine = FakeEngine(load_stream=[{"stream": "Loaded image: busybox:latest\n"}])
    result = invoke(["load", "-i", str(archive)], engine)
    assert result.stdout == "Loaded image: busybox:latest\n"
    assert engine.last("POST", "/images/load").body == b"archive"


def test_load_reads_stdin() -> None:
    engine = FakeEngine(load_stream=[{"stream": "Loaded image: x\n"}])
    assert invoke(["load", "-q"], engine, stdin=b"tar").exit_code == 0
    req = engine.last("POST", "/images/load")
    assert (req.body, req.param("quiet")) == (b"tar", "1")


def test_load_from_terminal_stdin_is_refused() -> None:
    result = invoke(["load"], FakeEngine(), stdin_tty=True)
    assert result.exit_code == 1
    assert "requested load from stdin" in result.stderr


def test_load_stream_error_exits_125() -> None:
    engine = FakeEngine(load_stream=[{"errorDetail": {"message": "bad archive"}, "error": "bad"}])
    result = invoke(["load"], engine, stdin=b"x")
    assert (result.exit_code, result.stderr) == (125, "Error response from daemon: bad archive\n")


def test_import_sends_changes_message_and_reference() -> None:
    engine = FakeEngine(import_stream=[{"status": "sha256:" + "12" * 32}])
    argv = ["import", "-c", "CMD sh", "-c", "ENV A=1", "-m", "hi", "-", "busybox:latest"]
    result = invoke(argv, engine, stdin=b"rootfs")
    assert result.stdout == "sha256:" + "12" * 32 + "\n"
    req = engine.last("POST", "/images/create")
    assert req.body == b"rootfs"
    assert req.query == [
        ("fromSrc", "-"),
        ("repo", "busybox"),
        ("tag", "latest"),
        ("message", "hi"),
        ("changes", "CMD sh"),
        ("changes", "ENV A=1"),
    ]


def test_image_prune_prompts_and_cancels_on_no() -> None:
    engine = FakeEngine()
    result = invoke(["image", "prune"], engine, stdin=b"n\n")
    assert result.stdout == (
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    )
    assert not any(r.path == "/images/prune" for r in engine.requests)


def test_image_prune_force_prints_report() -> None:
    engine = FakeEngine(
        prune_report={
            "ImagesDeleted": [{"Untagged": "a:latest"}, {"Deleted": "sha256:1"}],
            "SpaceReclaimed": 4_860_000,
        }
    )
    result = invoke(["image", "prune", "-f"], engine)
    assert result.stdout == (
        "Deleted Images:\nuntagged: a:latest\ndeleted: sha256:1\n\nTotal reclaimed space: 4.86MB\n"
    )
    filters = json.loads(engine.last("POST", "/images/prune").param("filters") or "")
    assert filters == {"dangling": {"true": True}}


def test_image_prune_all_sends_dangling_false() -> None:
    engine = FakeEngine()
    invoke(["image", "prune", "-a"], engine, stdin=b"y\n")
    filters = json.loads(engine.last("POST", "/images/prune").param("filters") or "")
    assert filters == {"dangling": {"false": True}}


def test_system_df_summarizes_types() -> None:
    engine = FakeEngine()
    engine.df = {
        "LayersSize": 4_860_000,
        "Images": [{"Id": BUSYBOX_ID, "Size": 4_860_000, "SharedSize": 0, "Containers": 0}],
        "Containers": [],
        "Volumes": [],
        "BuildCache": [],
    }
    result = invoke(["system", "df"], engine)
    assert result.stdout.splitlines()[:2] == [
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
        "Images          1         0         4.86MB    4.86MB (100%)",
    ]


def test_events_converts_since_duration_to_unix_time() -> None:
    engine = FakeEngine()
    invoke(["events", "--since", "10m", "--until", "0s"], engine, now=NOW)
    req = engine.last("GET", "/events")
    assert req.param("since") == f"{int(NOW) - 600}.000000000"
    assert req.param("until") == f"{int(NOW)}.000000000"


def test_events_passes_unix_timestamps_through() -> None:
    engine = FakeEngine()
    invoke(["system", "events", "--since", "1700000000"], engine)
    assert engine.last("GET", "/events").param("since") == "1700000000"


def test_events_converts_rfc3339() -> None:
    engine = FakeEngine()
    invoke(["events", "--since", "2023-11-14T22:13:20Z"], engine)
    assert engine.last("GET", "/events").param("since") == "1700000000.000000000"


def test_events_prints_docker_lines() -> None:
    event = {
        "Type": "image",
        "Action": "tag",
        "Actor": {"ID": BUSYBOX_ID, "Attributes": {"name": "busybox:latest"}},
        "time": 1_700_000_000,
        "timeNano": 1_700_000_000_123_456_789,
    }
    result = invoke(["events", "--format", "{{.Type}} {{.Action}}"], FakeEngine(events=[event]))
    assert result.stdout == "image tag\n"


def test_events_default_line_lists_sorted_attributes() -> None:
    from dockyard.cli.commands.events import event_line

    line = event_line(
        {"Type": "image", "Action": "tag", "Actor": {"ID": "x", "Attributes": {"b": "2", "a": "1"}}}
    )
    assert line == "image tag x (a=1, b=2)\n"


def test_help_flag_prints_usage() -> None:
    result = invoke(["images", "--help"], FakeEngine())
    assert result.exit_code == 0
    assert "Usage:  dockyard images [OPTIONS] [REPOSITORY[:TAG]]" in result.stdout
