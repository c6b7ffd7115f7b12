"""``dockyard cp``: copy files between a container and the host (``-`` = a tar stream).

Container to host: ``GET /containers/{id}/archive`` then extract per moby's CopyTo rules.
Host to container: ``HEAD`` the destination (``X-Docker-Container-Path-Stat``), build a
tar whose root entry has the right name, ``PUT`` it into the right directory.
"""

from __future__ import annotations

from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context

__all__ = ["command", "run", "split_cp_arg"]


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tdockyard cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",  # noqa: E501
        "Copy files/folders between a container and the local filesystem",
        [
            Flag("archive", "a", help="Archive mode (copy all uid/gid information)"),
            Flag("follow-link", "L", help="Always follow symbol link in SRC_PATH"),
            Flag("quiet", "q", help="Suppress progress output during copy"),
        ],
        min_args=2,
        max_args=2,
    )


def split_cp_arg(arg: str) -> tuple[str, str]:
    """(container, path); absolute or ``.``-relative local paths have no container."""
    if arg.startswith("/"):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep or container.startswith("."):
        return "", arg
    return container, path


def _stat(ctx: Context, container: str, path: str) -> dict[str, Any] | None:
    from dockyard.cli.cparchive import decode_stat
    from dockyard.client.errors import ClientError

    try:
        response = ctx.client().request("HEAD", f"/containers/{container}/archive", {"path": path})
    except ClientError as err:
        if err.status == 404:
            return None
        raise
    response.read()
    header = response.headers.get("x-docker-container-path-stat")
    return decode_stat(header) if header else None


def _from_container(ctx: Context, opts: dict[str, Any], container: str, src: str, dst: str) -> int:
    import io
    import os
    import posixpath

    from dockyard.cli.context import CommandError
    from dockyard.cli.cparchive import MODE_DIR, MODE_SYMLINK, decode_stat, extract, prepare_copy
    from dockyard.cli.output.units import human_size

    rebase = ""
    if opts["follow_link"]:
        stat = _stat(ctx, container, src)
        if stat and int(stat.get("mode", 0)) & MODE_SYMLINK:
            target = str(stat.get("linkTarget", ""))
            if not target.startswith("/"):
                target = posixpath.join(posixpath.dirname(src), target)
            rebase = posixpath.basename(src)
            src = target
    response = ctx.client().request("GET", f"/containers/{container}/archive", {"path": src})
    data = response.read()
    if dst == "-":
        ctx.stdout.flush()
        ctx.stdout.buffer.write(data)
        ctx.stdout.buffer.flush()
        return 0
    dst = os.path.abspath(dst) + ("/" if dst.endswith("/") else "")
    header = response.headers.get("x-docker-container-path-stat")
    stat = decode_stat(header) if header else {}
    src_is_dir = bool(int(stat.get("mode", 0)) & MODE_DIR)
    exists = os.path.lexists(dst.rstrip("/") or "/")
    if not exists and not os.path.isdir(os.path.dirname(dst.rstrip("/")) or "/"):
        raise CommandError(f"lstat {os.path.dirname(dst.rstrip('/'))}: no such file or directory")
    try:
        into, old, new = prepare_copy(src, src_is_dir, dst, exists, os.path.isdir(dst))
    except ValueError as err:
        raise CommandError(str(err)) from None
    if rebase:
        old = posixpath.basename(src.rstrip("/"))
        new = rebase if new == old else new
    extract(io.BytesIO(data), into, old, new)
    if not opts["quiet"]:
        ctx.stderr.write(f"Successfully copied {human_size(len(data), 3)} to {dst}\n")
    return 0


def _to_container(ctx: Context, opts: dict[str, Any], src: str, container: str, dst: str) -> int:
    import io
    import os
    import posixpath

    from dockyard.cli.context import CommandError
    from dockyard.cli.cparchive import MODE_DIR, MODE_SYMLINK, prepare_copy, split_dir_entry
    from dockyard.cli.output.units import human_size

    stat = _stat(ctx, container, dst)
    dst_path = dst
    if stat is not None and int(stat.get("mode", 0)) & MODE_SYMLINK:
        target = str(stat.get("linkTarget", ""))
        if not target.startswith("/"):
            target = posixpath.join(split_dir_entry(dst)[0], target)
        dst_path = target
        stat = _stat(ctx, container, target)
    dst_exists = stat is not None
    dst_is_dir = bool(stat and int(stat.get("mode", 0)) & MODE_DIR)
    query = {"path": "", "noOverwriteDirNonDir": True, "copyUIDGID": opts["archive"] or None}
    if src == "-":
        if not dst_is_dir:
            raise CommandError(f'destination "{container}:{dst}" must be a directory')
        query["path"] = dst_path
        body = ctx.stdin.read()
    else:
        src = os.path.abspath(src) + ("/." if src.endswith("/.") else "")
        real = src.removesuffix("/.") or "/"
        if not os.path.lexists(real):
            raise CommandError(f"lstat {real}: no such file or directory")
        src_is_dir = (
            os.path.isdir(real) if (opts["follow_link"] or not os.path.islink(real)) else False
        )
        try:
            into, _, new = prepare_copy(src, src_is_dir, dst_path, dst_exists, dst_is_dir)
        except ValueError as err:
            raise CommandError(str(err)) from None
        from dockyard.cli.cparchive import tar_source

        buffer = io.BytesIO()
        root = new if not (dst_exists and dst_is_dir) else split_dir_entry(src)[1]
        tar_source(real, opts["follow_link"], buffer, root)
        body = buffer.getvalue()
        query["path"] = into
    ctx.client().request(
        "PUT",
        f"/containers/{container}/archive",
        query,
        body,
        {"Content-Type": "application/x-tar"},
    ).read()
    if not opts["quiet"] and src != "-":
        ctx.stderr.write(
            f"Successfully copied {human_size(len(body), 3)} to {container}:{dst_path}\n"
        )
    return 0


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.context import CommandError

    if not args[0]:
        raise CommandError("source can not be empty")
    if not args[1]:
        raise CommandError("destination can not be empty")
    src_container, src = split_cp_arg(args[0])
    dst_container, dst = split_cp_arg(args[1])
    if src_container and dst_container:
        raise CommandError("copying between containers is not supported")
    if src_container:
        return _from_container(ctx, opts, src_container, src, dst)
    if dst_container:
        return _to_container(ctx, opts, src, dst_container, dst)
    raise CommandError("must specify at least one container source")
