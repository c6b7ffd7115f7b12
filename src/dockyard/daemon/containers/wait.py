"""``POST /containers/{id}/wait``: not-running, next-exit, removed.

Registration and waiting are separate so that the route can register first, send its
headers at once (``docker run`` blocks on them before it starts the container), and only
then wait.
"""

from __future__ import annotations

import asyncio

from dockyard.daemon.containers.context import ContainerContext, Exit
from dockyard.daemon.containers.state import LIVE
from dockyard.errors import InvalidParameter

__all__ = ["CONDITIONS", "register_wait"]

CONDITIONS = ("not-running", "next-exit", "removed")


def register_wait(ctx: ContainerContext, ref: str, condition: str) -> asyncio.Future[Exit]:
    """A future resolved by the awaited event (already resolved when there is none to wait)."""
    condition = condition or "not-running"
    if condition not in CONDITIONS:
        raise InvalidParameter(f'invalid condition: "{condition}"')
    c = ctx.store.get(ref)
    if condition == "removed":
        return ctx.waiters.removal(c.id)
    if condition == "next-exit" or c.state.status in LIVE:
        return ctx.waiters.next_exit(c.id)
    done: asyncio.Future[Exit] = asyncio.get_running_loop().create_future()
    done.set_result(Exit(c.state.exit_code, c.state.error))
    return done
