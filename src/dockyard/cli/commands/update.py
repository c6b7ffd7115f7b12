"""``dockyard update``: change resources and the restart policy of containers."""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["build_update", "command", "run"]

_SIZE_FLAGS = ("memory", "memory-reservation", "memory-swap", "kernel-memory")


def command(path: str) -> Command:
    s, i = "str", "int"
    return Command(
        path,
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Update configuration of one or more containers",
        [
            Flag(
                "blkio-weight",
                "",
                s,
                "Block IO (relative weight), between 10 and 1000",
                metavar="uint16",
            ),
            Flag(
                "cpu-period",
                "",
                i,
                "Limit CPU CFS (Completely Fair Scheduler) period",
                optional=True,
            ),
            Flag(
                "cpu-quota", "", i, "Limit CPU CFS (Completely Fair Scheduler) quota", optional=True
            ),
            Flag(
                "cpu-rt-period",
                "",
                i,
                "Limit the CPU real-time period in microseconds",
                optional=True,
            ),
            Flag(
                "cpu-rt-runtime",
                "",
                i,
                "Limit the CPU real-time runtime in microseconds",
                optional=True,
            ),
            Flag("cpu-shares", "c", i, "CPU shares (relative weight)", optional=True),
            Flag("cpus", "", s, "Number of CPUs", metavar="decimal"),
            Flag("cpuset-cpus", "", s, "CPUs in which to allow execution (0-3, 0,1)"),
            Flag("cpuset-mems", "", s, "MEMs in which to allow execution (0-3, 0,1)"),
            Flag("memory", "m", s, "Memory limit", metavar="bytes"),
            Flag("memory-reservation", "", s, "Memory soft limit", metavar="bytes"),
            Flag(
                "memory-swap",
                "",
                s,
                "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
                metavar="bytes",
            ),
            Flag(
                "pids-limit",
                "",
                i,
                "Tune container pids limit (set -1 for unlimited)",
                optional=True,
            ),
            Flag("restart", "", s, "Restart policy to apply when a container exits"),
        ],
        min_args=1,
    )


def build_update(opts: dict[str, Any]) -> dict[str, Any]:
    """The ``POST /containers/{id}/update`` body; only flags given are sent."""
    from dockyard.cli import values
    from dockyard.cli.runopts import FlagValueError, restart_policy

    body: dict[str, Any] = {}

    def typed(long: str, key: str, parse: Any) -> None:
        value = opts[long.replace("-", "_")]
        if value in ("", None):
            return
        try:
            body[key] = parse(value)
        except ValueError as err:
            raise FlagValueError(long, value, str(err)) from None

    typed("memory", "Memory", values.ram_in_bytes)
    typed("memory-reservation", "MemoryReservation", values.ram_in_bytes)
    typed("memory-swap", "MemorySwap", lambda v: -1 if v == "-1" else values.ram_in_bytes(v))
    typed("cpus", "NanoCpus", values.nano_cpus)
    typed("blkio-weight", "BlkioWeight", lambda v: values.go_int(v, 16, unsigned=True))
    for long, key in (
        ("cpu-period", "CpuPeriod"),
        ("cpu-quota", "CpuQuota"),
        ("cpu-rt-period", "CpuRealtimePeriod"),
        ("cpu-rt-runtime", "CpuRealtimeRuntime"),
        ("cpu-shares", "CpuShares"),
        ("pids-limit", "PidsLimit"),
    ):
        if opts[long.replace("-", "_")] is not None:
            body[key] = opts[long.replace("-", "_")]
    for long, key in (("cpuset-cpus", "CpusetCpus"), ("cpuset-mems", "CpusetMems")):
        if opts[long.replace("-", "_")]:
            body[key] = opts[long.replace("-", "_")]
    if opts["restart"]:
        body["RestartPolicy"] = restart_policy(opts["restart"])
    return body


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError
    from dockyard.cli.runopts import FlagValueError, OptionsError
    from dockyard.client.errors import ClientError

    try:
        body = build_update(opts)
    except FlagValueError as err:
        raise command("update").fail(str(err)) from None
    except OptionsError as err:
        raise CommandError(str(err), 1) from None
    if not body:
        raise CommandError("you must provide one or more flags when using this command")
    client = ctx.client()
    warnings: list[str] = []
    errors: list[str] = []
    for name in args:
        try:
            doc = client.json("POST", f"/containers/{name}/update", body=body) or {}
        except ClientError as err:
            if err.status == 0:
                raise
            errors.append(f"Error response from daemon: {err.message}")
            continue
        ctx.write(f"{name}\n")
        warnings += doc.get("Warnings") or []
    if warnings:
        ctx.write("\n".join(warnings) + "\n")
    if errors:
        raise CommandError("\n".join(errors))
    return 0
