"""``dockyard images`` / ``image ls``: docker's image table and formatter fields."""

from __future__ import annotations

from dockyard.cli.common import filter_flag, filters_json, format_flag
from dockyard.cli.flags import Command, Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.context import Context
    from dockyard.cli.output.gotemplate import Struct

__all__ = ["HEADERS", "command", "image_rows", "run"]

DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"  # noqa: E501
DEFAULT_DIGESTS = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"  # noqa: E501

HEADERS = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
    "VirtualSize": "VIRTUAL SIZE",
}


def command(path: str) -> Command:
    return Command(
        path,
        "[OPTIONS] [REPOSITORY[:TAG]]",
        "List images",
        [
            Flag("all", "a", help="Show all images (default hides intermediate images)"),
            Flag("digests", help="Show digests"),
            filter_flag(),
            format_flag(),
            Flag("no-trunc", help="Don't truncate output"),
            Flag("quiet", "q", help="Only show image IDs"),
        ],
        max_args=1,
    )


def split_reference(ref: str) -> tuple[str, str]:
    """Familiar ``repo`` and the tag or digest after it (``name:tag`` / ``name@sha256:..``)."""
    if "@" in ref:
        name, _, rest = ref.partition("@")
    else:
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        name, rest = (ref[:colon], ref[colon + 1 :]) if colon > slash else (ref, "")
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix) and name.count("/") == prefix.count("/"):
            name = name[len(prefix) :]
            break
    return name, rest


def created_at(ts: float) -> str:
    """Go's ``time.Time.String()`` in local time: ``2024-01-02 15:04:05 +0000 UTC``."""
    import datetime

    moment = datetime.datetime.fromtimestamp(ts).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z %Z")


def _row(img: dict[str, Any], repo: str, tag: str, digest: str, trunc: bool, now: float) -> Struct:
    from dockyard.cli.output.gotemplate import Struct
    from dockyard.cli.output.units import human_size, since, truncate_id

    size = int(img.get("Size", 0))
    shared = int(img.get("SharedSize", -1))
    containers = int(img.get("Containers", -1))
    created = int(img.get("Created", 0))
    image_id = str(img.get("Id", ""))
    return Struct(
        "*formatter.imageContext",
        {
            "ID": truncate_id(image_id) if trunc else image_id,
            "Repository": repo,
            "Tag": tag,
            "Digest": digest,
            "CreatedSince": since(created, now),
            "CreatedAt": created_at(created),
            "Size": human_size(size, 3),
            "Containers": "N/A" if containers == -1 else str(containers),
            "SharedSize": "N/A" if shared == -1 else human_size(shared),
            "UniqueSize": "N/A" if size == -1 or shared == -1 else human_size(size - shared),
            "VirtualSize": human_size(size, 3),
        },
    )


def image_rows(
    images: list[dict[str, Any]], trunc: bool, digests: bool, now: float
) -> list[Struct]:
    """One row per repository:tag (and digest), as docker's imageFormat lays them out."""
    rows = []
    for img in images:
        tags = img.get("RepoTags") or []
        dgsts = img.get("RepoDigests") or []
        dangling = (not tags and not dgsts) or (
            tags == ["<none>:<none>"] and dgsts == ["<none>@<none>"]
        )
        if dangling:
            rows.append(_row(img, "<none>", "<none>", "<none>", trunc, now))
            continue
        repo_tags: dict[str, list[str]] = {}
        for ref in tags:
            name, tag = split_reference(ref)
            if tag and "@" not in ref:
                repo_tags.setdefault(name, []).append(tag)
        repo_digests: dict[str, list[str]] = {}
        for ref in dgsts:
            if "@" in ref:
                name, digest = split_reference(ref)
                repo_digests.setdefault(name, []).append(digest)
        for repo, repo_tag_list in repo_tags.items():
            found = repo_digests.pop(repo, []) if digests else []
            repo_digests.pop(repo, None)
            for tag in repo_tag_list:
                for digest in found or ["<none>"]:
                    rows.append(_row(img, repo, tag, digest, trunc, now))
        for repo, found in repo_digests.items():
            if digests:
                rows.extend(_row(img, repo, "<none>", d, trunc, now) for d in found)
            else:
                rows.append(_row(img, repo, "<none>", "", trunc, now))
    return rows


def run(ctx: Context, opts: dict[str, Any], args: list[str]) -> int:
    from dockyard.cli.output.formatter import render

    extra = {"reference": [args[0]]} if args else None
    query = {"all": opts["all"] or None, "filters": filters_json(opts["filter"], extra)}
    images = ctx.client().json("GET", "/images/json", query)
    fmt: str = opts["format"]
    if opts["quiet"] and not fmt:
        fmt = "{{.ID}}"
    elif not fmt or fmt == "table":
        fmt = "{{.ID}}" if opts["quiet"] else DEFAULT_DIGESTS if opts["digests"] else DEFAULT
    elif fmt.startswith("table") and opts["digests"] and "{{.Digest}}" not in fmt:
        fmt += "\t{{.Digest}}"
    show_digests = opts["digests"] or "{{.Digest}}" in fmt
    rows = image_rows(images or [], not opts["no_trunc"], show_digests, ctx.clock())
    ctx.write(render(fmt, rows, HEADERS))
    return 0
