"""Sizes, durations and tables printed exactly like the docker CLI."""

from __future__ import annotations

import pytest

from dockyard.cli.output.formatter import render, template_string
from dockyard.cli.output.gotemplate import Struct, TemplateError
from dockyard.cli.output.tabwriter import align
from dockyard.cli.output.units import human_duration, human_size, since, truncate_id


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0B"),
        (999, "999B"),
        (1000, "1kB"),
        (1234, "1.23kB"),
        (4_860_000, "4.86MB"),
        (999_999, "1e+03kB"),
        (1_500_000_000, "1.5GB"),
    ],
)
def test_human_size_three_digits(size: int, expected: str) -> None:
    assert human_size(size, 3) == expected


def test_human_size_default_precision_is_four() -> None:
    assert human_size(1_234_567) == "1.235MB"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.5, "Less than a second"),
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5400, "2 hours"),
        (7200, "2 hours"),
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (15 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_matches_go_units(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


def test_since_appends_ago() -> None:
    assert since(1000, 1000 + 7200) == "2 hours ago"


def test_truncate_id_drops_algorithm() -> None:
    assert truncate_id("sha256:0123456789abcdef0123") == "0123456789ab"


def test_tabwriter_pads_to_widest_plus_three_with_min_ten() -> None:
    text = align("REPOSITORY\tTAG\tSIZE\nbusybox\tlatest\t4.86MB\n")
    assert text == "REPOSITORY   TAG       SIZE\nbusybox      latest    4.86MB\n"


def test_tabwriter_does_not_pad_last_cell() -> None:
    assert align("a\tb\n") == "a         b\n"


def test_template_string_expands_escapes_and_drops_table() -> None:
    assert template_string("table {{.ID}}\\t{{.Tag}}") == "{{.ID}}\t{{.Tag}}"


def test_json_format_key_means_json_of_dot() -> None:
    assert template_string("json") == "{{json .}}"


def test_render_table_prints_headers() -> None:
    rows = [Struct("T", {"ID": "abc", "Tag": "latest"})]
    out = render("table {{.ID}}\t{{.Tag}}", rows, {"ID": "IMAGE ID", "Tag": "TAG"})
    assert out == "IMAGE ID   TAG\nabc        latest\n"


def test_render_table_without_rows_prints_only_headers() -> None:
    assert render("table {{.ID}}", [], {"ID": "IMAGE ID"}) == "IMAGE ID\n"


def test_render_plain_format_has_no_header() -> None:
    rows = [Struct("T", {"ID": "a"}), Struct("T", {"ID": "b"})]
    assert render("{{.ID}}", rows, {"ID": "IMAGE ID"}) == "a\nb\n"


def test_render_error_has_docker_prefix() -> None:
    with pytest.raises(TemplateError, match=r"^template parsing error: template: :1:2: executing"):
        render("{{.Nope}}", [Struct("T", {})], {})
