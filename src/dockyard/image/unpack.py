"""Unpack image layers into snapshots keyed by chain id, so images sharing a base share disk.

``chain_id(L1) = diff_id(L1)``; ``chain_id(L1..Ln) = sha256(chain_id(L1..Ln-1) + " " +
diff_id(Ln))`` (the OCI image spec's ChainID). A chain that is already unpacked is reused,
never applied twice.

Each new layer is applied without mounting anything: ``prepare`` returns the snapshot's
mounts, and the layer is written straight into the writable directory they name (an
overlay ``upperdir``, in the kernel's whiteout format, or a bind source holding a full copy
of the parent, with whiteouts applied as deletions). Then the snapshot is committed under
the chain id and its ``layers`` row recorded. A failure removes every snapshot and row this
call created, so the store is as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.archive.apply import apply_layer
from dockyard.archive.compression import open_decompressed
from dockyard.content.base import ContentStore
from dockyard.errors import DockyardError, InvalidParameter, NotFound
from dockyard.image.store import ImageStore, LayerRecord
from dockyard.mount import Mount
from dockyard.oci import mediatypes
from dockyard.oci.descriptor import Descriptor
from dockyard.oci.digest import Digest, Hasher
from dockyard.snapshot.base import Snapshotter
from dockyard.util.ids import random_id

__all__ = ["BlobOpener", "UnpackResult", "Unpacker", "chain_ids"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20

# Opens a layer's bytes from elsewhere than the content store (None: use the store).
BlobOpener = Callable[[Digest], BinaryIO | None]


def chain_ids(diff_ids: Sequence[Digest]) -> list[Digest]:
    """The chain id of each prefix of ``diff_ids``."""
    out: list[Digest] = []
    for diff_id in diff_ids:
        if not out:
            out.append(diff_id)
        else:
            text = f"{out[-1]} {diff_id}".encode()
            out.append(Digest("sha256:" + hashlib.sha256(text).hexdigest()))
    return out


@dataclass(frozen=True, slots=True)
class UnpackResult:
    """``top_chain`` names the image's top layer ("" for no layers); ``created`` the new ones."""

    top_chain: str
    size: int
    created: tuple[Digest, ...]


class _HashingReader:
    """Hashes what the applier reads, so a layer is checked against its diff_id in one pass."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.hasher = Hasher()

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.hasher.update(data)
        return data

    def drain(self) -> None:
        """Hash what is left after the tar's end marker (padding counts in the diff_id)."""
        while data := self.read(_CHUNK):
            del data


def _target_dir(mounts: list[Mount]) -> tuple[Path, bool]:
    """Where to write a prepared snapshot's files and whether it is an overlay upperdir."""
    if len(mounts) != 1:
        raise DockyardError(f"unexpected snapshot mounts: {mounts!r}")
    mount = mounts[0]
    if mount.type == "overlay":
        upper = mount.option("upperdir")
        if upper is None:
            raise DockyardError("overlay snapshot mount has no upperdir")
        return Path(upper), True
    return Path(mount.source), False


class Unpacker:
    """Applies layers into ``snapshotter``; ``overlay`` says upper dirs take kernel whiteouts."""

    def __init__(self, store: ImageStore, content: ContentStore, snapshotter: Snapshotter) -> None:
        self._store = store
        self._content = content
        self._snapshotter = snapshotter

    def unpack(
        self,
        layers: Sequence[Descriptor],
        diff_ids: Sequence[Digest],
        *,
        verify: bool = True,
        open_blob: BlobOpener | None = None,
    ) -> UnpackResult:
        """Unpack ``layers`` (manifest order) whose uncompressed digests are ``diff_ids``.

        ``verify=False`` skips hashing the uncompressed stream, for layers whose diff_id a
        reader already checked (``read_archive`` does); an uncompressed layer whose blob
        digest is its diff_id is never hashed again (the content store verified it).
        ``open_blob`` reads a layer's bytes from where they already are (an archive being
        loaded, whose blobs are still being committed) instead of the content store; those
        bytes must be the ones whose digest was verified.
        """
        if len(layers) != len(diff_ids):
            raise InvalidParameter(
                f"image has {len(layers)} layers but {len(diff_ids)} diff_ids in its config"
            )
        created: list[Digest] = []
        size = 0
        parent = ""
        try:
            for blob, diff_id, chain in zip(layers, diff_ids, chain_ids(diff_ids), strict=True):
                existing = self._existing(chain)
                if existing is None:
                    existing = self._apply(blob, diff_id, chain, parent, verify, open_blob)
                    created.append(chain)
                size += existing.size
                parent = chain
        except BaseException:
            self.remove(reversed(created))
            raise
        return UnpackResult(top_chain=parent, size=size, created=tuple(created))

    def remove(self, chains: Iterable[Digest]) -> None:
        """Remove layers (children before parents); a layer still in use is left in place."""
        for chain in list(chains):
            layer = self._store.layer(chain)
            key = layer.snapshot_key if layer is not None else chain
            try:
                self._snapshotter.remove(key)
            except NotFound:
                pass  # already gone: only the row is left to drop
            except DockyardError as err:
                log.warning("keeping layer %s: %s", chain, err)
                continue
            self._store.remove_layer(chain)

    def _existing(self, chain: Digest) -> LayerRecord | None:
        layer = self._store.layer(chain)
        if layer is None:
            return None
        try:
            self._snapshotter.stat(layer.snapshot_key)
        except DockyardError:
            log.warning("layer %s lost its snapshot; unpacking it again", chain)
            self._store.remove_layer(chain)
            return None
        return layer

    def _apply(
        self,
        blob: Descriptor,
        diff_id: Digest,
        chain: Digest,
        parent: str,
        verify: bool,
        open_blob: BlobOpener | None,
    ) -> LayerRecord:
        key = f"extract-{random_id()[:12]}-{chain}"
        mounts = self._snapshotter.prepare(key, parent)
        committed = False
        try:
            target, overlay = _target_dir(mounts)
            source = open_blob(blob.digest) if open_blob is not None else None
            with source if source is not None else self._content.open(blob.digest) as raw:
                verify = verify and not (
                    mediatypes.compression_of(blob.media_type) == "" and blob.digest == diff_id
                )
                stream = open_decompressed(raw)
                if not verify:
                    size = apply_layer(stream, target, overlay_whiteouts=overlay)
                else:
                    reader = _HashingReader(stream)
                    size = apply_layer(reader, target, overlay_whiteouts=overlay)  # type: ignore[arg-type]
                    reader.drain()
                    if reader.hasher.digest() != diff_id:
                        raise InvalidParameter(
                            f"layer {blob.digest} does not match its diff_id {diff_id}"
                            f" (got {reader.hasher.digest()})"
                        )
            self._snapshotter.commit(chain, key)
            committed = True
            layer = LayerRecord(
                chain_id=chain,
                diff_id=diff_id,
                parent=parent,
                snapshot_key=chain,
                blob=Descriptor(media_type=blob.media_type, digest=blob.digest, size=blob.size),
                size=size,
            )
            self._store.add_layer(layer)
            return layer
        except BaseException:
            try:
                self._snapshotter.remove(chain if committed else key)
            except DockyardError as err:
                log.warning("could not remove snapshot of failed layer %s: %s", chain, err)
            raise
