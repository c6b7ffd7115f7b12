"""Golden-style cases for the Go-template subset behind --format."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.output.gotemplate import HEADER_FUNCS, Struct, TemplateError, parse

DATA: dict[str, Any] = {
    "Name": "web",
    "Config": {"Image": "busybox", "Env": ["A=1", "B=2"]},
    "Labels": {"b": "2", "a": "1"},
    "Count": 3,
    "Empty": "",
    "Flag": True,
    "Nothing": None,
}

CASES = [
    ("plain text", "hello", "hello"),
    ("field", "{{.Name}}", "web"),
    ("nested field", "{{.Config.Image}}", "busybox"),
    ("missing map key", "{{.Nope}}", "<no value>"),
    ("dot", "{{.Count}}-{{.Flag}}", "3-true"),
    ("json of value", "{{json .Config.Env}}", '["A=1","B=2"]'),
    ("json of dot keeps map order", "{{json .Labels}}", '{"b":"2","a":"1"}'),
    ("json of string", "{{json .Name}}", '"web"'),
    ("pipe upper", "{{.Name | upper}}", "WEB"),
    ("lower", '{{lower "ABC"}}', "abc"),
    ("join", '{{join .Config.Env ","}}', "A=1,B=2"),
    ("split", '{{index (split "a:b" ":") 1}}', "b"),
    ("range", "{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]"),
    ("range over map is sorted", "{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;"),
    ("range else", "{{range .Nothing}}x{{else}}none{{end}}", "none"),
    ("if true", "{{if .Flag}}yes{{end}}", "yes"),
    ("if empty string", "{{if .Empty}}yes{{else}}no{{end}}", "no"),
    ("else if", "{{if .Empty}}a{{else if .Count}}b{{else}}c{{end}}", "b"),
    ("with", "{{with .Config}}{{.Image}}{{end}}", "busybox"),
    ("with else", "{{with .Empty}}x{{else}}y{{end}}", "y"),
    ("println", "{{println .Name}}", "web\n"),
    ("print spacing", "{{print 1 2}}", "1 2"),
    ("printf", '{{printf "%s:%d" .Name .Count}}', "web:3"),
    ("eq", '{{if eq .Name "web"}}ok{{end}}', "ok"),
    ("ne", "{{if ne .Count 3}}x{{else}}same{{end}}", "same"),
    ("not", "{{if not .Empty}}blank{{end}}", "blank"),
    ("len", "{{len .Config.Env}}", "2"),
    ("index map", '{{index .Labels "a"}}', "1"),
    ("variable", "{{$n := .Name}}{{$n}}!", "web!"),
    ("root variable in range", "{{range .Config.Env}}{{$.Name}}{{end}}", "webweb"),
    ("trim markers", "a  {{- .Name -}}  b", "awebb"),
    ("comment", "{{/* nothing */}}x", "x"),
    ("parenthesized pipeline", "{{(index .Config.Env 0) | lower}}", "a=1"),
    ("nil prints", "{{.Nothing}}", "<nil>"),
    ("list prints like go", "{{.Config.Env}}", "[A=1 B=2]"),
    ("map prints like go", "{{.Labels}}", "map[a:1 b:2]"),
    ("and", "{{and .Flag .Name}}", "web"),
    ("or", "{{or .Empty .Name}}", "web"),
    ("string escapes", '{{"a\\tb"}}', "a\tb"),
    ("truncate", "{{truncate .Name 2}}", "we"),
]


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for _, s, e in CASES], ids=[c[0] for c in CASES]
)
def test_template_renders(source: str, expected: str) -> None:
    assert parse(source).execute(DATA) == expected


def test_unknown_struct_field_is_gos_error() -> None:
    row = Struct("*formatter.imageContext", {"ID": "x"})
    with pytest.raises(TemplateError) as info:
        parse("{{.Nope}}").execute(row)
    assert str(info.value) == (
        'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type '
        "*formatter.imageContext"
    )


def test_error_column_counts_from_line_start() -> None:
    row = Struct("T", {})
    with pytest.raises(TemplateError, match=r"template: :2:4: "):
        parse("a\nxx{{.Nope}}").execute(row)


def test_field_of_string_is_error() -> None:
    with pytest.raises(TemplateError, match="can't evaluate field X in type string"):
        parse("{{.Name.X}}").execute(DATA)


def test_json_of_struct_sorts_keys() -> None:
    row = Struct("T", {"b": "1", "a": "2"})
    assert parse("{{json .}}").execute(row) == '{"a":"2","b":"1"}'


def test_unclosed_action_does_not_parse() -> None:
    with pytest.raises(TemplateError, match="template: :1: unclosed action"):
        parse("{{.Name")


def test_unknown_function_does_not_parse() -> None:
    with pytest.raises(TemplateError, match='function "nope" not defined'):
        parse("{{nope .Name}}")


def test_missing_end_does_not_parse() -> None:
    with pytest.raises(TemplateError, match="unexpected EOF"):
        parse("{{if .Name}}x")


def test_stray_end_does_not_parse() -> None:
    with pytest.raises(TemplateError, match="unexpected"):
        parse("x{{end}}")


def test_template_name_appears_in_errors() -> None:
    with pytest.raises(TemplateError, match='template: version:1:2: executing "version"'):
        parse("{{.Nope}}", "version").execute(Struct("T", {}))


def test_header_functions_pass_names_through() -> None:
    headers = {"Name": "NAME"}
    assert parse("{{.Name | lower}} {{json .Name}}").execute(headers, HEADER_FUNCS) == "NAME NAME"


def test_template_error_exits_1() -> None:
    with pytest.raises(TemplateError) as info:
        parse("{{.Name")
    assert info.value.exit_code == 1
