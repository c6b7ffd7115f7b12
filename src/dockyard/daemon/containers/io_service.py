"""The container I/O verbs as one object for the API routes: attach, resize, logs, exec.

Kept apart from :class:`~.service.ContainerService` (same context, no state of its own) so
the lifecycle facade stays small; each method delegates to its verb's module.
"""

from __future__ import annotations

from dockyard.daemon.containers import attach as attach_mod
from dockyard.daemon.containers import exec as exec_mod
from dockyard.daemon.containers import logs as logs_mod
from dockyard.daemon.containers.context import ContainerContext
from dockyard.daemon.containers.store import ExecProcess

__all__ = ["ContainerIOService"]


class ContainerIOService:
    def __init__(self, ctx: ContainerContext) -> None:
        self.ctx = ctx

    def attach(self, ref: str, opts: attach_mod.AttachOptions) -> attach_mod.Attachment:
        return attach_mod.prepare_attach(self.ctx, ref, opts)

    async def resize(self, ref: str, height: int, width: int) -> None:
        await attach_mod.resize_container(self.ctx, ref, height, width)

    def logs(self, ref: str, opts: logs_mod.LogOptions) -> logs_mod.LogStream:
        return logs_mod.open_logs(self.ctx, ref, opts)

    async def exec_create(self, ref: str, process: ExecProcess) -> str:
        return await exec_mod.create_exec(self.ctx, ref, process)

    async def exec_start(self, eid: str, opts: exec_mod.ExecStartOptions) -> None:
        await exec_mod.start_detached(self.ctx, eid, opts)

    async def exec_run_attached(
        self, eid: str, opts: exec_mod.ExecStartOptions, conn: attach_mod.ClientConn
    ) -> None:
        await exec_mod.run_attached(self.ctx, eid, opts, conn)

    def exec_inspect(self, eid: str) -> exec_mod.ExecView:
        return exec_mod.inspect_exec(self.ctx, eid)

    async def exec_resize(self, eid: str, height: int, width: int) -> None:
        await exec_mod.resize_exec(self.ctx, eid, height, width)
