"""``POST /containers/{id}/rename?name=``: give a container a new name.

dockerd's checks and words: both names must be given, the new one must differ from the
current one, be a valid name and be free (the messages start "Error when allocating new
name: "). A ``rename`` event carries the new ``name`` and the ``oldName`` (with its "/").
"""

from __future__ import annotations

from dockyard.apitypes.container_create import validate_container_name
from dockyard.daemon.containers.context import ContainerContext
from dockyard.errors import InvalidParameter

__all__ = ["rename"]


async def rename(ctx: ContainerContext, ref: str, new_name: str) -> None:
    if not ref or not new_name:
        raise InvalidParameter("Neither old nor new names may be empty")
    new_name = "/" + new_name.removeprefix("/")
    c = ctx.store.get(ref)
    async with ctx.locks[c.id]:
        c = ctx.store.get(c.id)
        if c.name == new_name[1:]:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        try:
            validate_container_name(new_name)
        except InvalidParameter as err:
            raise InvalidParameter(f"Error when allocating new name: {err.message}") from err
        renamed = ctx.store.rename(c.id, new_name[1:])
    ctx.emit("rename", c.id, image=c.image, name=renamed.name, oldName="/" + c.name)
