"""Reference parsing pins Docker's normalization and its error messages."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidParameter
from dockyard.oci.reference import parse, parse_normalized

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "full", "familiar"),
    [
        ("busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"),
        ("index.docker.io/user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        ("user/app", "docker.io/user/app:latest", "user/app:latest"),
        ("localhost/app", "localhost/app:latest", "localhost/app:latest"),
        ("localhost:5000/a/b:x", "localhost:5000/a/b:x", "localhost:5000/a/b:x"),
        ("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest"),
        (f"app@{DIGEST}", f"docker.io/library/app@{DIGEST}", f"app@{DIGEST}"),
        (f"app:v1@{DIGEST}", f"docker.io/library/app:v1@{DIGEST}", f"app:v1@{DIGEST}"),
        ("a__b/c.d-e", "docker.io/a__b/c.d-e:latest", "a__b/c.d-e:latest"),
    ],
)
def test_normalizes_like_docker(text: str, full: str, familiar: str) -> None:
    ref = parse_normalized(text)
    assert str(ref) == full
    assert ref.familiar() == familiar


def test_parse_without_default_tag_keeps_tag_empty() -> None:
    assert parse("busybox").tag == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid reference format"),
        ("Busybox", "repository name (Busybox) must be lowercase"),
        ("UPPER:tag", "repository name (UPPER) must be lowercase"),
        ("a:b:c", "invalid reference format"),
        ("foo/", "invalid reference format"),
        ("-foo", "invalid reference format"),
        ("foo@sha256:short", "invalid reference format"),
        ("ab" * 32, "cannot specify 64-byte hexadecimal strings"),
        ("a" * 256, "must not be more than 255 characters"),
    ],
)
def test_invalid_reference_is_rejected_with_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_normalized(text)


def test_tag_longer_than_128_characters_is_invalid() -> None:
    with pytest.raises(InvalidParameter):
        parse("busybox:" + "t" * 129)
