"""Running helper programs: argument lists only, a timeout always, stderr in the error."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from dockyard.errors import DockyardError

__all__ = ["CommandFailed", "run"]


class CommandFailed(DockyardError):
    """A helper program (runc, nft, ip) ended non-zero; the message carries its stderr."""


def run(
    argv: Sequence[str],
    *,
    input: bytes | None = None,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(
            list(argv), input=input, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as err:
        raise CommandFailed(f"{argv[0]}: executable not found") from err
    except subprocess.TimeoutExpired as err:
        raise CommandFailed(f"{' '.join(argv)}: timed out after {timeout}s") from err
    if check and proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace").strip()
        raise CommandFailed(f"{' '.join(argv)}: exit {proc.returncode}: {stderr}")
    return proc
