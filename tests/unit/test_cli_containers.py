"""Container verbs in-process against the fake Engine API: requests, output, exit codes."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from dockyard.cli.output.containers import display_ports, go_quote, status_text
from dockyard.cli.output.stats import bytes_size, cpu_percent, memory_usage, stats_row
from dockyard.testing.fake_engine_api import FakeEngine, Script, invoke

NOW = 1_700_000_000.0


def _paths(engine: FakeEngine) -> list[tuple[str, str]]:
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in engine.requests if r.path != "/_ping"]


# --- run --------------------------------------------------------------------------------------


def test_run_sends_create_attach_wait_start_in_docker_order() -> None:
    engine = FakeEngine()
    invoke(["run", "busybox", "true"], engine)
    assert _paths(engine) == [
        ("POST", "create"),
        ("POST", "attach"),
        ("POST", "wait"),
        ("POST", "start"),
    ]


def test_run_waits_for_next_exit() -> None:
    engine = FakeEngine()
    invoke(["run", "busybox", "true"], engine)
    assert engine.last("POST", "/containers/").param("condition") is None
    assert engine.requests[3].param("condition") == "next-exit"


def test_run_rm_waits_for_removal() -> None:
    engine = FakeEngine()
    invoke(["run", "--rm", "busybox", "true"], engine)
    assert engine.requests[3].param("condition") == "removed"
    assert engine.containers == {}


def test_run_prints_demultiplexed_output_and_exits_with_container_code() -> None:
    engine = FakeEngine(script=Script(output=[(1, b"out\n"), (2, b"err\n")], exit_code=3))
    result = invoke(["run", "busybox", "sh"], engine)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_run_create_body_comes_from_flags() -> None:
    engine = FakeEngine()
    invoke(["run", "--name", "web", "-e", "A=1", "busybox", "sh"], engine)
    create = engine.last("POST", "/containers/create")
    assert create.param("name") == "web"
    assert json.loads(create.body)["Env"] == ["A=1"]


def test_run_interactive_pipes_stdin() -> None:
    engine = FakeEngine(script=Script(echo=True))
    result = invoke(["run", "-i", "busybox", "cat"], engine, stdin=b"hello\n")
    assert (result.exit_code, result.stdout) == (0, "hello\n")
    assert engine.last("POST", "/containers/").path.endswith("/start")
    attach = next(r for r in engine.requests if r.path.endswith("/attach"))
    assert attach.param("stdin") == "1"


def test_run_detach_prints_full_id_and_does_not_attach() -> None:
    engine = FakeEngine(script=Script(hold_open=True))
    result = invoke(["run", "-d", "busybox", "sleep", "9"], engine)
    cid = next(iter(engine.containers))
    assert (result.exit_code, result.stdout) == (0, cid + "\n")
    assert not any(r.path.endswith("/attach") for r in engine.requests)
    body = json.loads(engine.last("POST", "/containers/create").body)
    assert (body["AttachStdout"], body["AttachStderr"]) == (False, False)


def test_run_detach_with_attach_is_error() -> None:
    result = invoke(["run", "-d", "-a", "stdout", "busybox"], FakeEngine())
    assert result.exit_code == 125
    assert "conflicting options: cannot specify both --attach and --detach" in result.stderr


def test_run_tty_detach_keys_leave_container_running() -> None:
    engine = FakeEngine(script=Script(hold_open=True))
    result = invoke(["run", "-it", "busybox", "sh"], engine, stdin=b"ls\x10\x11", stdin_tty=True)
    container = next(iter(engine.containers.values()))
    assert (result.exit_code, container.status) == (0, "running")
    assert bytes(engine.streams[-1].sent) == b"ls"


def test_run_custom_detach_keys_are_sent_and_honoured() -> None:
    engine = FakeEngine(script=Script(hold_open=True))
    result = invoke(
        ["run", "-it", "--detach-keys", "ctrl-a", "busybox", "sh"],
        engine,
        stdin=b"\x01",
        stdin_tty=True,
    )
    assert result.exit_code == 0
    attach = next(r for r in engine.requests if r.path.endswith("/attach"))
    assert attach.param("detachKeys") == "ctrl-a"


def test_run_bad_detach_keys_is_error() -> None:
    result = invoke(["run", "--detach-keys", "ctrl-1", "busybox"], FakeEngine())
    assert result.exit_code == 125
    assert "invalid detach keys (ctrl-1): Unknown character: 'ctrl-1'" in result.stderr


def test_run_tty_without_terminal_stdin_is_error() -> None:
    result = invoke(["run", "-it", "busybox", "sh"], FakeEngine())
    assert (result.exit_code, "the input device is not a TTY" in result.stderr) == (1, True)


def test_run_tty_resizes_to_the_terminal() -> None:
    engine = FakeEngine()
    invoke(["run", "-t", "busybox", "sh"], engine, stdout_tty=True, terminal_size=(40, 120))
    resize = engine.last("POST", "/containers/")
    assert (resize.path.endswith("/resize"), resize.param("h"), resize.param("w")) == (
        True,
        "40",
        "120",
    )


def test_run_tty_output_is_raw() -> None:
    engine = FakeEngine(script=Script(output=[(1, b"a\r\n")]))
    result = invoke(["run", "-t", "busybox", "sh"], engine)
    assert result.stdout_bytes == b"a\r\n"


def test_run_command_not_found_exits_127() -> None:
    message = 'exec: "nope": executable file not found in $PATH: unknown'
    engine = FakeEngine(script=Script(start_error=message))
    result = invoke(["run", "busybox", "nope"], engine)
    assert result.exit_code == 127
    assert result.stderr == (
        f"dockyard: Error response from daemon: {message}\n\n"
        "Run 'dockyard run --help' for more information\n"
    )


def test_run_permission_denied_exits_126() -> None:
    engine = FakeEngine(script=Script(start_error="exec: /etc: permission denied: unknown"))
    assert invoke(["run", "busybox", "/etc"], engine).exit_code == 126


def test_run_daemon_error_exits_125_with_docker_prefix() -> None:
    engine = FakeEngine()
    engine.fail("POST", "/containers/create", 500, "no space left")
    result = invoke(["run", "busybox"], engine)
    assert result.exit_code == 125
    assert result.stderr.startswith("dockyard: Error response from daemon: no space left\n")


def test_run_bad_flag_value_exits_125_with_usage() -> None:
    result = invoke(["run", "-m", "lots", "busybox"], FakeEngine())
    assert result.exit_code == 125
    assert result.stderr.startswith(
        'invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'\n\nUsage:'
    )


def test_run_missing_image_tries_pull_and_reports_it() -> None:
    engine = FakeEngine(missing_images={"alpine"})
    result = invoke(["run", "alpine"], engine)
    assert result.exit_code == 125
    assert result.stderr.startswith("Unable to find image 'alpine:latest' locally\n")
    pull = engine.last("POST", "/images/create")
    assert (pull.param("fromImage"), pull.param("tag")) == ("docker.io/library/alpine", "latest")


def test_run_pull_never_does_not_pull() -> None:
    engine = FakeEngine(missing_images={"alpine"})
    result = invoke(["run", "--pull", "never", "alpine"], engine)
    assert result.exit_code == 125
    assert "No such image: alpine" in result.stderr
    assert not any(r.path == "/images/create" for r in engine.requests)


def test_run_invalid_pull_value_is_error() -> None:
    result = invoke(["run", "--pull", "sometimes", "busybox"], FakeEngine())
    assert result.exit_code == 125
    assert "invalid pull option: 'sometimes'" in result.stderr


def test_run_cidfile_gets_the_id(tmp_path: Path) -> None:
    cidfile = tmp_path / "cid"
    engine = FakeEngine()
    invoke(["run", "--cidfile", str(cidfile), "busybox"], engine)
    assert cidfile.read_text() == next(iter(engine.containers))


def test_run_existing_cidfile_is_error(tmp_path: Path) -> None:
    cidfile = tmp_path / "cid"
    cidfile.write_text("x")
    result = invoke(["run", "--cidfile", str(cidfile), "busybox"], FakeEngine())
    assert (result.exit_code, "container ID file found" in result.stderr) == (125, True)


def test_create_prints_id_and_does_not_start() -> None:
    engine = FakeEngine()
    result = invoke(["create", "--name", "c1", "busybox"], engine)
    container = engine.find("c1")
    assert container is not None
    assert (result.stdout, container.status) == (container.id + "\n", "created")


# --- start / stop / kill / rm / wait ----------------------------------------------------------


def test_start_prints_each_name() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="created")
    engine.add_container("b", status="created")
    assert invoke(["start", "a", "b"], engine).stdout == "a\nb\n"


def test_start_failure_names_the_containers_exit_1() -> None:
    result = invoke(["start", "ghost"], FakeEngine())
    assert result.exit_code == 1
    assert result.stderr == (
        "Error response from daemon: No such container: ghost\n"
        "Error: failed to start containers: ghost\n"
    )


def test_start_attach_streams_and_exits_with_code() -> None:
    engine = FakeEngine(script=Script(output=[(1, b"hi\n")], exit_code=4))
    engine.add_container("a", status="created")
    result = invoke(["start", "-a", "a"], engine)
    assert (result.exit_code, result.stdout) == (4, "hi\n")


def test_stop_sends_time_and_signal() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["stop", "-t", "3", "-s", "SIGINT", "a"], engine)
    req = engine.last("POST", "/containers/a/stop")
    assert (result.stdout, req.param("t"), req.param("signal")) == ("a\n", "3", "SIGINT")


def test_stop_without_time_sends_no_timeout() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    invoke(["stop", "a"], engine)
    assert engine.last("POST", "/containers/a/stop").param("t") is None


def test_stop_unknown_container_exits_1() -> None:
    result = invoke(["container", "stop", "nope"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        1,
        "Error response from daemon: No such container: nope\n",
    )


def test_kill_sends_signal() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    invoke(["kill", "-s", "HUP", "a"], engine)
    assert engine.last("POST", "/containers/a/kill").param("signal") == "HUP"


def test_pause_and_unpause() -> None:
    engine = FakeEngine()
    container = engine.add_container("a")
    invoke(["pause", "a"], engine)
    assert container.status == "paused"
    invoke(["unpause", "a"], engine)
    assert container.status == "running"


def test_restart_prints_name() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="exited")
    assert invoke(["restart", "a"], engine).stdout == "a\n"


def test_rm_force_and_volumes_query() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["rm", "-fv", "a"], engine)
    req = engine.last("DELETE")
    assert (result.stdout, req.param("force"), req.param("v")) == ("a\n", "1", "1")


def test_rm_running_without_force_exits_1() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["rm", "a"], engine)
    assert (result.exit_code, "container is running" in result.stderr) == (1, True)


def test_rm_force_missing_container_reports_but_succeeds() -> None:
    result = invoke(["rm", "-f", "ghost"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        0,
        "Error response from daemon: No such container: ghost\n",
    )


def test_rm_of_ps_quiet_output_removes_all() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="exited")
    engine.add_container("b", status="exited")
    ids = invoke(["ps", "-aq"], engine).stdout.split()
    assert invoke(["rm", *ids], engine).exit_code == 0
    assert engine.containers == {}


def test_wait_prints_exit_codes() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="exited").exit_code = 2
    assert invoke(["wait", "a"], engine).stdout == "2\n"


# --- ps ----------------------------------------------------------------------------------------


def test_ps_table_matches_docker() -> None:
    engine = FakeEngine(now=NOW)
    web = engine.add_container("web", Cmd=["nginx", "-g", "daemon off;"])
    web.ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    result = invoke(["ps"], engine)
    assert result.stdout == (
        "CONTAINER ID   IMAGE     COMMAND                  CREATED              STATUS"
        "         PORTS                  NAMES\n"
        f'{web.id[:12]}   busybox   "nginx -g \'daemon of…"   About a minute ago   Up 2 minutes'
        "   0.0.0.0:8080->80/tcp   web\n"
    )


def test_ps_hides_stopped_unless_all() -> None:
    engine = FakeEngine()
    engine.add_container("up")
    engine.add_container("down", status="exited")
    assert invoke(["ps", "--format", "{{.Names}}"], engine).stdout == "up\n"
    assert sorted(invoke(["ps", "-a", "--format", "{{.Names}}"], engine).stdout.split()) == [
        "down",
        "up",
    ]


def test_ps_quiet_prints_short_ids() -> None:
    engine = FakeEngine()
    container = engine.add_container("a")
    assert invoke(["ps", "-q"], engine).stdout == container.id[:12] + "\n"


def test_ps_no_trunc_prints_full_id_and_command() -> None:
    engine = FakeEngine()
    container = engine.add_container("a", Cmd=["sleep", "1000000000000000000"])
    out = invoke(["ps", "--no-trunc", "--format", "{{.ID}} {{.Command}}"], engine).stdout
    assert out == f'{container.id} "sleep 1000000000000000000"\n'


def test_ps_latest_sends_limit_1() -> None:
    engine = FakeEngine()
    invoke(["ps", "-l"], engine)
    assert engine.last("GET", "/containers/json").param("limit") == "1"


def test_ps_size_adds_column_and_query() -> None:
    engine = FakeEngine(
        containers_json=[
            {
                "Id": "c" * 64,
                "Names": ["/x"],
                "SizeRw": 12,
                "SizeRootFs": 4_860_000,
                "Created": int(NOW),
            }
        ]
    )
    result = invoke(["ps", "-s"], engine, now=NOW)
    assert engine.last("GET", "/containers/json").param("size") == "1"
    assert result.stdout.splitlines()[0].endswith("SIZE")
    assert result.stdout.splitlines()[1].endswith("12B (virtual 4.86MB)")


def test_ps_filter_goes_to_daemon() -> None:
    engine = FakeEngine()
    invoke(["ps", "-f", "status=exited"], engine)
    assert json.loads(engine.last("GET", "/containers/json").param("filters") or "") == {
        "status": {"exited": True}
    }


def test_status_text_running_healthy() -> None:
    state = {"Running": True, "StartedAt": "2023-11-14T22:11:20Z", "Health": {"Status": "healthy"}}
    assert status_text(state, NOW) == "Up 2 minutes (healthy)"


def test_status_text_health_starting() -> None:
    state = {"Running": True, "StartedAt": "2023-11-14T22:13:10Z", "Health": {"Status": "starting"}}
    assert status_text(state, NOW) == "Up 10 seconds (health: starting)"


def test_status_text_paused() -> None:
    state = {"Running": True, "Paused": True, "StartedAt": "2023-11-14T22:13:19.5Z"}
    assert status_text(state, NOW) == "Up Less than a second (Paused)"


def test_status_text_exited_with_code() -> None:
    state = {
        "Running": False,
        "ExitCode": 137,
        "StartedAt": "2023-11-14T22:00:00Z",
        "FinishedAt": "2023-11-14T22:13:17.123456789Z",
    }
    assert status_text(state, NOW) == "Exited (137) 2 seconds ago"


def test_status_text_created_never_started() -> None:
    assert status_text({"StartedAt": "0001-01-01T00:00:00Z"}, NOW) == "Created"


def test_display_ports_groups_consecutive_and_brackets_ipv6() -> None:
    ports = [
        {"PrivatePort": 80, "PublicPort": 8080, "IP": "0.0.0.0", "Type": "tcp"},
        {"PrivatePort": 80, "PublicPort": 8080, "IP": "::", "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
        {"PrivatePort": 444, "Type": "tcp"},
        {"PrivatePort": 53, "PublicPort": 53, "IP": "127.0.0.1", "Type": "udp"},
    ]
    assert display_ports(ports) == (
        "127.0.0.1:53->53/udp, 443-444/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
    )


def test_command_is_go_quoted() -> None:
    assert go_quote('sh -c "a\tb"') == '"sh -c \\"a\\tb\\""'


# --- logs / exec / attach ---------------------------------------------------------------------


def test_logs_demultiplexes_stdout_and_stderr() -> None:
    engine = FakeEngine(script=Script(output=[(1, b"o\n"), (2, b"e\n")]))
    invoke(["run", "--name", "x", "busybox"], engine)
    result = invoke(["logs", "x"], engine)
    assert (result.stdout, result.stderr) == ("o\n", "e\n")


def test_logs_tail_and_flags_reach_daemon() -> None:
    engine = FakeEngine()
    engine.add_container("x")
    invoke(["logs", "-f", "-t", "--tail", "5", "--since", "1700000000", "x"], engine)
    req = engine.last("GET", "/containers/x/logs")
    assert [req.param(k) for k in ("follow", "timestamps", "tail", "since")] == [
        "1",
        "1",
        "5",
        "1700000000",
    ]


def test_exec_streams_and_exits_with_exec_code() -> None:
    engine = FakeEngine(exec_script=Script(output=[(1, b"bin\n")], exit_code=2))
    engine.add_container("a")
    result = invoke(["exec", "a", "ls", "-1"], engine)
    assert (result.exit_code, result.stdout) == (2, "bin\n")
    create = json.loads(engine.last("POST", "/containers/a/exec").body)
    assert (create["Cmd"], create["AttachStdout"], create["AttachStdin"]) == (
        ["ls", "-1"],
        True,
        False,
    )


def test_exec_detach_starts_without_hijack() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["exec", "-d", "a", "sleep", "1"], engine)
    assert (result.exit_code, result.stdout) == (0, "")
    assert json.loads(engine.last("POST", "/exec/").body) == {"Detach": True, "Tty": False}


def test_exec_env_and_user() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    invoke(["exec", "-e", "X=1", "-u", "nobody", "-w", "/tmp", "a", "env"], engine)
    body = json.loads(engine.last("POST", "/containers/a/exec").body)
    assert (body["Env"], body["User"], body["WorkingDir"]) == (["X=1"], "nobody", "/tmp")


def test_attach_to_stopped_container_is_error() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="exited")
    result = invoke(["attach", "a"], engine)
    assert (result.exit_code, result.stderr) == (
        1,
        "You cannot attach to a stopped container, start it first\n",
    )


def test_attach_streams_until_exit() -> None:
    engine = FakeEngine()
    container = engine.add_container("a")
    container.script = Script(output=[(1, b"late\n")])
    engine.streams.clear()

    result_holder = {}

    import threading

    def finish_later() -> None:
        while not container.streams:
            pass
        container.streams[0].push(1, b"late\n")
        container.status = "exited"
        container.streams[0].finish()

    thread = threading.Thread(target=finish_later)
    thread.start()
    result_holder["r"] = invoke(["attach", "--no-stdin", "a"], engine)
    thread.join()
    assert (result_holder["r"].exit_code, result_holder["r"].stdout) == (0, "late\n")


# --- inspect / port / top / diff / rename / update / commit / prune / export ------------------


def test_inspect_finds_container_before_image() -> None:
    engine = FakeEngine()
    container = engine.add_container("web")
    result = invoke(["inspect", "-f", "{{.Name}}", "web"], engine)
    assert (result.exit_code, result.stdout) == (0, "/web\n")
    assert container.id


def test_inspect_type_container_reports_daemon_error() -> None:
    result = invoke(["inspect", "--type", "container", "nope"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        1,
        "Error response from daemon: No such container: nope\n",
    )


def test_container_inspect_size_flag() -> None:
    engine = FakeEngine()
    engine.add_container("web")
    invoke(["container", "inspect", "-s", "web"], engine)
    assert engine.last("GET", "/containers/web/json").param("size") == "1"


def test_port_lists_all_mappings_sorted() -> None:
    engine = FakeEngine()
    c = engine.add_container("web")
    c.ports = {
        "443/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8443"}],
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
    }
    assert invoke(["port", "web"], engine).stdout == (
        "80/tcp -> 0.0.0.0:8080\n80/tcp -> [::]:8080\n443/tcp -> 0.0.0.0:8443\n"
    )


def test_port_for_one_private_port() -> None:
    engine = FakeEngine()
    engine.add_container("web").ports = {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    assert invoke(["port", "web", "80"], engine).stdout == "0.0.0.0:8080\n"


def test_port_not_published_is_error() -> None:
    engine = FakeEngine()
    engine.add_container("web")
    result = invoke(["port", "web", "81/udp"], engine)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: No public port '81/udp' published for web\n",
    )


def test_top_passes_ps_args_and_aligns() -> None:
    engine = FakeEngine(top={"Titles": ["PID", "CMD"], "Processes": [["1", "sh"]]})
    engine.add_container("a")
    result = invoke(["top", "a", "-ef"], engine)
    assert engine.last("GET", "/containers/a/top").param("ps_args") == "-ef"
    assert result.stdout == "PID                 CMD\n1                   sh\n"


def test_diff_prints_kind_letters() -> None:
    engine = FakeEngine()
    engine.add_container("a").changes = [
        {"Path": "/etc", "Kind": 0},
        {"Path": "/etc/new", "Kind": 1},
        {"Path": "/gone", "Kind": 2},
    ]
    assert invoke(["diff", "a"], engine).stdout == "C /etc\nA /etc/new\nD /gone\n"


def test_rename_sends_new_name() -> None:
    engine = FakeEngine()
    engine.add_container("old")
    assert invoke(["rename", "old", "new"], engine).exit_code == 0
    assert engine.find("new") is not None


def test_rename_unknown_container_is_error() -> None:
    result = invoke(["rename", "ghost", "new"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: failed to rename container named ghost: Error response from daemon: "
        "No such container: ghost\n",
    )


def test_update_sends_only_given_resources() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["update", "-m", "256m", "--cpus", "0.5", "--restart", "always", "a"], engine)
    assert result.stdout == "a\n"
    assert json.loads(engine.last("POST", "/containers/a/update").body) == {
        "Memory": 256 << 20,
        "NanoCpus": 500_000_000,
        "RestartPolicy": {"Name": "always", "MaximumRetryCount": 0},
    }


def test_update_without_flags_is_error() -> None:
    result = invoke(["update", "a"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        1,
        "you must provide one or more flags when using this command\n",
    )


def test_commit_sends_repo_tag_and_changes() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["commit", "-m", "msg", "-c", "ENV X=1", "a", "me/img:v1"], engine)
    req = engine.commits[-1]
    assert result.stdout == "sha256:" + "f0" * 32 + "\n"
    assert [req.param(k) for k in ("repo", "tag", "comment", "changes", "pause")] == [
        "me/img",
        "v1",
        "msg",
        "ENV X=1",
        "1",
    ]


def test_container_prune_reports_deleted() -> None:
    engine = FakeEngine()
    gone = engine.add_container("a", status="exited")
    result = invoke(["container", "prune", "-f"], engine)
    assert result.stdout == f"Deleted Containers:\n{gone.id}\n\nTotal reclaimed space: 1.234kB\n"


def test_container_prune_prompt_declined_does_nothing() -> None:
    engine = FakeEngine()
    engine.add_container("a", status="exited")
    invoke(["container", "prune"], engine, stdin=b"n\n")
    assert len(engine.containers) == 1


def test_export_refuses_terminal() -> None:
    engine = FakeEngine()
    engine.add_container("a")
    result = invoke(["export", "a"], engine, stdout_tty=True)
    assert result.exit_code == 1


def test_export_writes_tar_to_file(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.add_container("a")
    invoke(["export", "-o", str(tmp_path / "a.tar"), "a"], engine)
    assert (tmp_path / "a.tar").read_bytes() == b"EXPORTED-TAR"


# --- cp ----------------------------------------------------------------------------------------


def test_cp_from_container_file_to_new_path(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.add_container("a").files = {"/etc/hostname": b"box\n"}
    result = invoke(["cp", "a:/etc/hostname", str(tmp_path / "h")], engine)
    assert (tmp_path / "h").read_bytes() == b"box\n"
    assert result.stderr.startswith("Successfully copied ")


def test_cp_from_container_dir_into_existing_dir(tmp_path: Path) -> None:
    engine = FakeEngine()
    engine.add_container("a").files = {"/data/x": b"1", "/data/sub/y": b"2"}
    invoke(["cp", "-q", "a:/data", str(tmp_path)], engine)
    assert (tmp_path / "data" / "sub" / "y").read_bytes() == b"2"


def test_cp_from_container_to_stdout_is_the_tar() -> None:
    engine = FakeEngine()
    engine.add_container("a").files = {"/f": b"x"}
    result = invoke(["cp", "a:/f", "-"], engine)
    with tarfile.open(fileobj=io.BytesIO(result.stdout_bytes)) as tar:
        assert tar.getnames() == ["f"]


def test_cp_to_container_directory(tmp_path: Path) -> None:
    engine = FakeEngine()
    c = engine.add_container("a")
    c.files = {"/tmp/.keep": b""}
    src = tmp_path / "note.txt"
    src.write_text("hi")
    invoke(["cp", str(src), "a:/tmp"], engine)
    assert c.files["/tmp/note.txt"] == b"hi"
    assert engine.last("PUT").param("path") == "/tmp"


def test_cp_to_container_new_name(tmp_path: Path) -> None:
    engine = FakeEngine()
    c = engine.add_container("a")
    c.files = {"/tmp/.keep": b""}
    src = tmp_path / "note.txt"
    src.write_text("hi")
    invoke(["cp", str(src), "a:/tmp/renamed.txt"], engine)
    assert c.files["/tmp/renamed.txt"] == b"hi"


def test_cp_between_containers_is_error() -> None:
    result = invoke(["cp", "a:/x", "b:/y"], FakeEngine())
    assert (result.exit_code, result.stderr) == (1, "copying between containers is not supported\n")


def test_cp_without_container_is_error() -> None:
    result = invoke(["cp", "/x", "/y"], FakeEngine())
    assert result.stderr == "must specify at least one container source\n"


# --- stats -------------------------------------------------------------------------------------


SAMPLE = {
    "id": "ab" * 32,
    "name": "/web",
    "cpu_stats": {"cpu_usage": {"total_usage": 400}, "system_cpu_usage": 2000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 200}, "system_cpu_usage": 1000},
    "memory_stats": {"usage": 110 << 20, "limit": 1 << 30, "stats": {"inactive_file": 10 << 20}},
    "networks": {
        "eth0": {"rx_bytes": 1500, "tx_bytes": 500},
        "eth1": {"rx_bytes": 500, "tx_bytes": 0},
    },
    "blkio_stats": {
        "io_service_bytes_recursive": [
            {"op": "read", "value": 4096},
            {"op": "Write", "value": 8192},
        ]
    },
    "pids_stats": {"current": 3},
}


def test_cpu_percent_is_delta_ratio_times_online_cpus() -> None:
    assert cpu_percent(SAMPLE) == 40.0


def test_cpu_percent_counts_percpu_when_online_unknown() -> None:
    sample = {
        "cpu_stats": {
            "cpu_usage": {"total_usage": 300, "percpu_usage": [1, 1, 1, 1]},
            "system_cpu_usage": 2000,
        },
        "precpu_stats": {"cpu_usage": {"total_usage": 200}, "system_cpu_usage": 1000},
    }
    assert cpu_percent(sample) == 40.0


def test_memory_usage_excludes_inactive_file_cache() -> None:
    assert memory_usage(SAMPLE["memory_stats"]) == float(100 << 20)  # type: ignore[arg-type]


def test_memory_usage_cgroup_v1_uses_total_inactive_file() -> None:
    assert memory_usage({"usage": 1000, "stats": {"total_inactive_file": 300}}) == 700.0


def test_bytes_size_binary_units() -> None:
    assert (bytes_size(100 << 20), bytes_size(1 << 30), bytes_size(1536)) == (
        "100MiB",
        "1GiB",
        "1.5KiB",
    )


def test_stats_row_fields_like_docker() -> None:
    row = stats_row("web", SAMPLE, True).fields
    assert row == {
        "Container": "web",
        "ID": "abababababab",
        "Name": "web",
        "CPUPerc": "40.00%",
        "MemUsage": "100MiB / 1GiB",
        "MemPerc": "9.77%",
        "NetIO": "2kB / 500B",
        "BlockIO": "4.1kB / 8.19kB",
        "PIDs": "3",
    }


def test_stats_no_stream_table() -> None:
    engine = FakeEngine()
    c = engine.add_container("web")
    c.stats = {k: v for k, v in SAMPLE.items() if k not in ("id", "name")}
    result = invoke(["stats", "--no-stream", "web"], engine)
    assert engine.last("GET", "/containers/web/stats").param("stream") == "0"
    assert result.stdout.splitlines() == [
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O      "
        "BLOCK I/O        PIDS",
        f"{c.id[:12]}   web       40.00%    100MiB / 1GiB       9.77%     2kB / 500B   "
        "4.1kB / 8.19kB   3",
    ]


def test_stats_unknown_container_is_error() -> None:
    result = invoke(["stats", "--no-stream", "ghost"], FakeEngine())
    assert (result.exit_code, result.stderr) == (
        1,
        "Error response from daemon: No such container: ghost\n",
    )
