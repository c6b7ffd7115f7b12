"""The OCI content descriptor: what a manifest or index points at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.errors import InvalidParameter
from dockyard.oci import digest as _digest

__all__ = ["Descriptor", "Platform"]


@dataclass(frozen=True, slots=True)
class Platform:
    architecture: str
    os: str
    variant: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: _digest.Digest
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: Platform | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        """Parse a descriptor, rejecting anything malformed with InvalidParameter."""
        if not isinstance(data, dict):
            raise InvalidParameter("descriptor is not an object")
        try:
            media_type = str(data.get("mediaType", ""))
            dgst = _digest.parse(str(data["digest"]))
            size = data["size"]
        except KeyError as err:
            raise InvalidParameter(f"descriptor lacks {err.args[0]}") from err
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidParameter(f"descriptor {dgst} has an invalid size {size!r}")
        annotations = data.get("annotations") or {}
        if not isinstance(annotations, dict):
            raise InvalidParameter(f"descriptor {dgst} has invalid annotations")
        platform = None
        raw_platform = data.get("platform")
        if isinstance(raw_platform, dict):
            platform = Platform(
                architecture=str(raw_platform.get("architecture", "")),
                os=str(raw_platform.get("os", "")),
                variant=str(raw_platform.get("variant", "")),
            )
        return cls(
            media_type=media_type,
            digest=dgst,
            size=size,
            annotations={str(k): str(v) for k, v in annotations.items()},
            platform=platform,
        )
