"""Image references: the distribution grammar and Docker's normalization.

``busybox`` normalizes to ``docker.io/library/busybox:latest``; the familiar form strips
``docker.io/`` and ``library/`` again for display. Grammar (from the distribution project)::

    reference   := name [ ":" tag ] [ "@" digest ]
    name        := [domain "/"] path-component ["/" path-component]*
    domain      := host [":" port]       host has a "." or ":" or is "localhost"
    path-comp   := [a-z0-9]+ ( ( [_.] | "__" | "-"+ ) [a-z0-9]+ )*
    tag         := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.errors import InvalidParameter

__all__ = ["DEFAULT_DOMAIN", "DEFAULT_TAG", "Reference", "parse", "parse_normalized"]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_MAX = 255

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_ANCHORED_ID = re.compile(r"^[a-f0-9]{64}$")
_DIGEST_CHECK = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


@dataclass(frozen=True, slots=True)
class Reference:
    """A fully normalized reference; at least one of tag and digest may be empty."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_PREFIX) and self.path.count("/") == 1:
            return self.path[len(OFFICIAL_PREFIX) :]
        return self.path

    def __str__(self) -> str:
        return self.name + self._suffix()

    def familiar(self) -> str:
        return self.familiar_name + self._suffix()

    def _suffix(self) -> str:
        out = f":{self.tag}" if self.tag else ""
        return out + (f"@{self.digest}" if self.digest else "")

    def with_default_tag(self) -> Reference:
        """``busybox`` means ``busybox:latest``; a digest reference keeps no default tag."""
        if self.tag or self.digest:
            return self
        return Reference(self.domain, self.path, DEFAULT_TAG)

    def with_tag(self, tag: str) -> Reference:
        return Reference(self.domain, self.path, tag)


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if (
        not sep
        or ("." not in first and ":" not in first and first != "localhost")
        or (first.lower() != first and "." not in first and ":" not in first)
    ):
        domain, path = DEFAULT_DOMAIN, name
    else:
        domain, path = first, rest
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def parse(text: str) -> Reference:
    """Parse any valid reference without applying a default tag."""
    if not text:
        raise InvalidParameter("invalid reference format")
    if _ANCHORED_ID.match(text):
        raise InvalidParameter(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    match = _REFERENCE.match(text)
    if match is None:
        lowered = _REFERENCE.match(text.lower())
        if lowered is not None and lowered.group("name") != text.split("@")[0].split(":")[0]:
            name_part = text.split("@", 1)[0]
            colon = name_part.rfind(":")
            if colon > name_part.rfind("/"):
                name_part = name_part[:colon]
            raise InvalidParameter(
                f"invalid reference format: repository name ({name_part}) must be lowercase"
            )
        raise InvalidParameter("invalid reference format")
    name = match.group("name")
    if len(name) > NAME_MAX:
        raise InvalidParameter(
            f"invalid reference format: repository name must not be more than {NAME_MAX} characters"
        )
    digest = match.group("digest") or ""
    if digest and not _DIGEST_CHECK.match(digest):
        raise InvalidParameter(f"invalid reference format: unsupported digest {digest!r}")
    domain, path = _split_domain(name)
    if domain == DEFAULT_DOMAIN and path.lower() != path:
        raise InvalidParameter(
            f"invalid reference format: repository name ({path}) must be lowercase"
        )
    return Reference(domain=domain, path=path, tag=match.group("tag") or "", digest=digest)


def parse_normalized(text: str) -> Reference:
    """Parse and add Docker's default tag: what ``docker pull NAME`` would fetch."""
    return parse(text).with_default_tag()
