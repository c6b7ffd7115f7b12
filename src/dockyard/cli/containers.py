"""What the container verbs share: per-container loops, exit codes, create with pull.

Exit codes follow docker CLI 28: a verb over several containers prints each name it
handled and each daemon error (``Error response from daemon: ...``) and exits 1 if any
failed; ``run``/``create`` exit 125 on daemon errors, 126/127 when the daemon says the
command cannot run / does not exist.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.cli.runopts import CreateSpec

__all__ = [
    "create_container",
    "for_each",
    "inspect_container",
    "run_exit_code",
    "with_help",
]


def for_each(ctx: Context, names: list[str], action: Callable[[str], object]) -> int:
    """``action(name)`` for each; print the name on success, the error otherwise; 0 or 1."""
    from dockyard.client.errors import ClientError

    failed = False
    for name in names:
        try:
            action(name)
        except ClientError as err:
            if err.status == 0:
                raise
            ctx.stderr.write(f"Error response from daemon: {err.message}\n")
            failed = True
            continue
        ctx.write(f"{name}\n")
    return 1 if failed else 0


def inspect_container(ctx: Context, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = ctx.client().json("GET", f"/containers/{name}/json")
    return doc


def with_help(message: str, verb: str) -> str:
    """docker's ``withHelp``: ``dockyard: <msg>`` and where to read more."""
    return f"dockyard: {message}\n\nRun 'dockyard {verb} --help' for more information"


def run_exit_code(message: str) -> int:
    """docker's toStatusError: 127 not found, 126 cannot execute, else 125."""
    if "executable file not found" in message or "no such file or directory" in message:
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 125


def daemon_failure(err: Any, verb: str) -> Exception:
    """A ClientError from create/start as ``run``/``create`` report it."""
    from dockyard.cli.context import CommandError

    text = f"Error response from daemon: {err.message}"
    return CommandError(with_help(text, verb), run_exit_code(err.message))


def _pull(ctx: Context, image: str, platform: str, quiet: bool) -> None:
    from dockyard.cli.common import stream_messages
    from dockyard.oci.reference import parse_normalized

    ref = parse_normalized(image)
    tag = ref.digest or ref.tag or "latest"
    query = {"fromImage": ref.name, "tag": tag, "platform": platform or None}
    messages = ctx.client().stream_json("POST", "/images/create", query)
    if quiet:
        for message in messages:
            if isinstance(message, dict) and (message.get("error") or message.get("errorDetail")):
                from dockyard.client.errors import ClientError

                detail = message.get("errorDetail") or {}
                raise ClientError(500, str(detail.get("message") or message.get("error")))
        return
    real_stdout = ctx.stdout
    ctx.stdout = ctx.stderr  # pull progress goes to stderr during run/create
    try:
        stream_messages(ctx, messages)
    finally:
        ctx.stdout = real_stdout


def _familiar(image: str) -> str:
    try:
        from dockyard.oci.reference import parse_normalized

        ref = parse_normalized(image)
    except Exception:  # noqa: BLE001  (an invalid name is the daemon's to report)
        return image
    if not ref.tag and not ref.digest:
        ref = ref.with_default_tag()
    return ref.familiar()


def create_container(ctx: Context, spec: CreateSpec, verb: str) -> str:
    """POST /containers/create (pulling per ``--pull``), write ``--cidfile``; the new id."""
    import os

    from dockyard.cli.context import CommandError
    from dockyard.client.errors import ClientError

    if spec.pull not in ("always", "missing", "never"):
        raise CommandError(
            with_help(
                f"invalid pull option: '{spec.pull}': must be one of \"always\", "
                '"missing" or "never"',
                verb,
            ),
            125,
        )
    if spec.cidfile and os.path.exists(spec.cidfile):
        raise CommandError(
            with_help(
                "container ID file found, make sure the other container isn't running or "
                f"delete {spec.cidfile}",
                verb,
            ),
            125,
        )
    client = ctx.client()
    query = {"name": spec.name or None, "platform": spec.platform or None}
    try:
        if spec.pull == "always":
            _pull(ctx, spec.image, spec.platform, False)
        try:
            created = client.json("POST", "/containers/create", query, spec.body)
        except ClientError as err:
            if err.status != 404 or "No such image" not in err.message or spec.pull == "never":
                raise
            ctx.stderr.write(f"Unable to find image '{_familiar(spec.image)}' locally\n")
            _pull(ctx, spec.image, spec.platform, False)
            created = client.json("POST", "/containers/create", query, spec.body)
    except ClientError as err:
        if err.status == 0:
            raise
        raise daemon_failure(err, verb) from None
    for warning in created.get("Warnings") or []:
        ctx.stderr.write(f"WARNING: {warning}\n")
    cid = str(created["Id"])
    if spec.cidfile:
        try:
            with open(spec.cidfile, "w") as handle:
                handle.write(cid)
        except OSError as err:
            raise CommandError(
                with_help(f"failed to write the container ID to the file: {err}", verb), 125
            ) from None
    return cid
