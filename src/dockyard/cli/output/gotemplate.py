"""A subset of Go's ``text/template``, for ``--format``.

Supported: text, ``{{- -}}`` trimming, comments, fields ``.A.B``, ``$``/``$var`` with fields,
pipelines with ``|``, parenthesized pipelines, string/number/bool/nil literals, ``$v :=`` and
``$v =``, ``if``/``else if``/``with``/``range`` (``$i, $v :=``) with ``else`` and ``end``,
and the functions of Docker's CLI (``json join split upper lower title pad truncate``) plus
Go's builtins (``and or not len index print printf println eq ne lt le gt ge``).

Data model: a :class:`Struct` behaves like a Go struct (unknown field is an error naming its
type), a ``dict`` like a Go map (missing key prints ``<no value>``). Errors read like Go's:
``template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type T``.
"""

from __future__ import annotations

from dockyard.cli.context import CommandError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Struct", "Template", "TemplateError", "parse"]


class TemplateError(CommandError):
    """A template that does not parse or fails while executing (Go's message); exit 1."""


class Struct:
    """A value with a fixed set of fields, rendered by ``json`` as an object with sorted keys."""

    __slots__ = ("fields", "type_name")

    def __init__(self, type_name: str, fields: dict[str, Any]) -> None:
        self.type_name = type_name
        self.fields = fields


class _Missing:
    def __str__(self) -> str:
        return "<no value>"


NO_VALUE = _Missing()


# --- lexer -------------------------------------------------------------------------------


class _Tok:
    __slots__ = ("kind", "pos", "text")

    def __init__(self, kind: str, text: str, pos: int) -> None:
        self.kind = kind
        self.text = text
        self.pos = pos


_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _lex_action(src: str, start: int, end: int, name: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = start
    while i < end:
        c = src[i]
        if c in " \t\r\n":
            i += 1
        elif c in "|(),":
            toks.append(_Tok(c, c, i))
            i += 1
        elif c == ":" and src.startswith(":=", i):
            toks.append(_Tok(":=", ":=", i))
            i += 2
        elif c == "=":
            toks.append(_Tok("=", "=", i))
            i += 1
        elif c in '"`':
            j = i + 1
            while j < end and src[j] != c:
                j += 2 if c == '"' and src[j] == "\\" else 1
            if j >= end:
                raise TemplateError(f"template: {name}:{_line(src, i)}: unterminated quoted string")
            raw = src[i + 1 : j]
            toks.append(_Tok("string", _unescape(raw) if c == '"' else raw, i))
            i = j + 1
        elif c in ".$" or c in _IDENT_CHARS or c in "-+":
            j = i + 1
            while j < end and (src[j] in _IDENT_CHARS or src[j] in ".$"):
                j += 1
            word = src[i:j]
            if c == "$":
                kind = "var"
            elif c == "." and not (len(word) > 1 and word[1].isdigit()):
                kind = "field"
            elif c.isdigit() or c in "-+." or word[0].isdigit():
                kind = "number"
            else:
                kind = "ident"
            toks.append(_Tok(kind, word, i))
            i = j
        else:
            raise TemplateError(
                f"template: {name}:{_line(src, i)}: unexpected {c!r} in command".replace("'", '"')
            )
    return toks


def _unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            out.append(escapes.get(raw[i + 1], raw[i + 1]))
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _line(src: str, pos: int) -> int:
    return src.count("\n", 0, pos) + 1


# --- parser ------------------------------------------------------------------------------
# Nodes are tuples: ("text", s) ("action", pipe) ("if"|"with", pipe, body, else)
# ("range", pipe, body, else) ; pipe = (decl_names, is_assign, [cmd]) ; cmd = [operand]
# operand = ("field", chain, pos) ("var", name, chain, pos) ("dot",) ("ident", name, pos)
# ("lit", value) ("pipe", pipe, chain, pos)

if TYPE_CHECKING:
    Node = tuple[Any, ...]


class _Parser:
    def __init__(self, src: str, name: str) -> None:
        self.src = src
        self.name = name
        self.items = self._split()
        self.index = 0

    def _split(self) -> list[tuple[str, Any]]:
        """Text and action token lists, with ``{{-``/``-}}`` trimming applied."""
        src, i = self.src, 0
        items: list[tuple[str, Any]] = []
        trim_next = False
        while True:
            j = src.find("{{", i)
            text = src[i:] if j < 0 else src[i:j]
            if trim_next:
                text = text.lstrip(" \t\r\n")
            left_trim = j >= 0 and src.startswith("{{- ", j)
            if left_trim:
                text = text.rstrip(" \t\r\n")
            if text:
                items.append(("text", text))
            if j < 0:
                return items
            start = j + (4 if left_trim else 2)
            if src.startswith("/*", start):
                close = src.find("*/", start)
                k = -1 if close < 0 else src.find("}}", close)
            else:
                k = self._find_close(start)
            if k < 0:
                raise TemplateError(f"template: {self.name}:{_line(src, j)}: unclosed action")
            trim_next = src[k - 2 : k] == " -" and k - 2 >= start
            end = k - 2 if trim_next else k
            if not src.startswith("/*", start):
                items.append(("action", _lex_action(src, start, end, self.name)))
            i = k + 2

    def _find_close(self, start: int) -> int:
        src, i = self.src, start
        while i < len(src):
            if src[i] in '"`':
                q = src[i]
                i += 1
                while i < len(src) and src[i] != q:
                    i += 2 if q == '"' and src[i] == "\\" else 1
                i += 1
            elif src.startswith("}}", i):
                return i
            else:
                i += 1
        return -1

    def fail(self, message: str, pos: int) -> TemplateError:
        return TemplateError(f"template: {self.name}:{_line(self.src, pos)}: {message}")

    def parse_list(self, stops: tuple[str, ...]) -> tuple[list[Node], str, list[_Tok]]:
        nodes: list[Node] = []
        while self.index < len(self.items):
            kind, value = self.items[self.index]
            self.index += 1
            if kind == "text":
                nodes.append(("text", value))
                continue
            toks: list[_Tok] = value
            if not toks:
                raise self.fail("missing value for command", 0)
            word = toks[0].text if toks[0].kind == "ident" else ""
            if word in stops:
                return nodes, word, toks
            if word in ("end", "else"):
                raise self.fail(f"unexpected {{{{{word}}}}}", toks[0].pos)
            if word in ("if", "with", "range"):
                nodes.append(self.parse_control(word, toks))
            else:
                nodes.append(("action", self.parse_pipe(toks, 0)))
        if stops:
            raise self.fail("unexpected EOF", len(self.src))
        return nodes, "", []

    def parse_control(self, word: str, toks: list[_Tok]) -> Node:
        if len(toks) < 2:
            raise self.fail(f"missing value for {word}", toks[0].pos)
        pipe = self.parse_pipe(toks, 1)
        body, stop, stop_toks = self.parse_list(("else", "end"))
        other: list[Node] = []
        if stop == "else":
            if len(stop_toks) > 1 and stop_toks[1].text in ("if", "with"):
                other = [self.parse_control(stop_toks[1].text, stop_toks[1:])]
                return (word, pipe, body, other)
            other, stop, _ = self.parse_list(("end",))
        return (word, pipe, body, other)

    def parse_pipe(self, toks: list[_Tok], i: int) -> tuple[list[str], bool, list[list[Node]]]:
        decl: list[str] = []
        assign = False
        j = i
        while j < len(toks) and toks[j].kind == "var" and "." not in toks[j].text[1:]:
            nxt = toks[j + 1].kind if j + 1 < len(toks) else ""
            if nxt in (":=", "="):
                decl.append(toks[j].text)
                assign = nxt == "="
                i = j + 2
                break
            if nxt == ",":
                decl.append(toks[j].text)
                j += 2
                continue
            break
        else:
            pass
        if decl and i <= j:
            decl = []
        cmds, pos = self.parse_cmds(toks, i, None)
        if pos != len(toks):
            raise self.fail(f"unexpected {toks[pos].text!r} in command".replace("'", '"'), pos)
        return (decl, assign, cmds)

    def parse_cmds(self, toks: list[_Tok], i: int, closer: str | None) -> tuple[list[Any], int]:
        cmds: list[list[Node]] = []
        cmd: list[Node] = []
        while i < len(toks):
            tok = toks[i]
            if tok.kind == closer:
                break
            if tok.kind == "|":
                if not cmd:
                    raise self.fail("missing command", tok.pos)
                cmds.append(cmd)
                cmd = []
                i += 1
                continue
            operand, i = self.parse_operand(toks, i)
            cmd.append(operand)
        if not cmd:
            raise self.fail("missing value for command", toks[i - 1].pos if toks else 0)
        cmds.append(cmd)
        return cmds, i

    def parse_operand(self, toks: list[_Tok], i: int) -> tuple[Node, int]:
        tok = toks[i]
        if tok.kind == "(":
            cmds, j = self.parse_cmds(toks, i + 1, ")")
            if j >= len(toks):
                raise self.fail("unclosed left paren", tok.pos)
            chain: list[str] = []
            if (
                j + 1 < len(toks)
                and toks[j + 1].kind == "field"
                and toks[j + 1].pos == toks[j].pos + 1
            ):
                chain = toks[j + 1].text.split(".")[1:]
                j += 1
            return ("pipe", ([], False, cmds), chain, tok.pos), j + 1
        if tok.kind == "field":
            if tok.text == ".":
                return ("dot",), i + 1
            return ("field", tok.text.split(".")[1:], tok.pos), i + 1
        if tok.kind == "var":
            name, *chain = tok.text.split(".")
            return ("var", name, chain, tok.pos), i + 1
        if tok.kind == "string":
            return ("lit", tok.text), i + 1
        if tok.kind == "number":
            try:
                value: Any = int(tok.text, 0)
            except ValueError:
                try:
                    value = float(tok.text)
                except ValueError:
                    raise self.fail(f"bad number syntax: {tok.text!r}", tok.pos) from None
            return ("lit", value), i + 1
        if tok.kind == "ident":
            if tok.text in ("true", "false"):
                return ("lit", tok.text == "true"), i + 1
            if tok.text == "nil":
                return ("lit", None), i + 1
            if tok.text not in FUNCS:
                raise self.fail(f'function "{tok.text}" not defined', tok.pos)
            return ("ident", tok.text, tok.pos), i + 1
        raise self.fail(f"unexpected {tok.text!r} in operand".replace("'", '"'), tok.pos)


# --- values and functions ----------------------------------------------------------------


def go_str(value: Any) -> str:
    """How Go's fmt prints a value with %v."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) or abs(value) >= 1e21 else str(int(value))
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_str(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, Struct):
        return "{" + " ".join(go_str(v) for v in value.fields.values()) + "}"
    return str(value)


def truthy(value: Any) -> bool:
    if isinstance(value, _Missing):
        return False
    if isinstance(value, Struct):
        return True
    return bool(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return {k: _plain(value.fields[k]) for k in sorted(value.fields)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, _Missing):
        return None
    return value


def to_json(value: Any) -> str:
    import json

    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))


def _go_print(*args: Any) -> str:
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += go_str(arg)
    return out


def _printf(fmt: str, *args: Any) -> str:
    import re

    values = iter(args)

    def one(m: re.Match[str]) -> str:
        spec = m.group(0)
        if spec == "%%":
            return "%"
        value = next(values, None)
        verb = spec[-1]
        if verb == "q":
            return to_json(go_str(value))
        if verb in "sv":
            return (spec[:-1] + "s") % go_str(value)
        return spec % value

    return re.sub(r"%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z%]", one, fmt)


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key, NO_VALUE)
        elif isinstance(value, list | tuple | str):
            value = value[key]
        else:
            raise TemplateError(f"can't index item of type {_type_name(value)}")
    return value


def _truncate(text: str, length: int) -> str:
    return text[:length]


def _pad(text: str, before: int, after: int) -> str:
    return " " * before + text + " " * after


def _cmp(op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def compare(a: Any, *bs: Any) -> bool:
        return all(op(a, b) for b in bs)

    return compare


FUNCS: dict[str, Callable[..., Any]] = {
    "json": to_json,
    "join": lambda items, sep: sep.join(go_str(i) for i in (items or [])),
    "split": lambda text, sep: text.split(sep),
    "upper": lambda text: go_str(text).upper(),
    "lower": lambda text: go_str(text).lower(),
    "title": lambda text: go_str(text).title(),
    "pad": _pad,
    "truncate": _truncate,
    "and": lambda *a: next((v for v in a if not truthy(v)), a[-1]),
    "or": lambda *a: next((v for v in a if truthy(v)), a[-1]),
    "not": lambda v: not truthy(v),
    "len": lambda v: len(v.fields if isinstance(v, Struct) else v),
    "index": _index,
    "print": _go_print,
    "printf": _printf,
    "println": lambda *a: " ".join(go_str(v) for v in a) + "\n",
    "eq": lambda a, *bs: any(a == b for b in bs),
    "ne": lambda a, b: a != b,
    "lt": _cmp(lambda a, b: a < b),
    "le": _cmp(lambda a, b: a <= b),
    "gt": _cmp(lambda a, b: a > b),
    "ge": _cmp(lambda a, b: a >= b),
}

HEADER_FUNCS: dict[str, Callable[..., Any]] = {
    **FUNCS,
    "json": lambda v: v,
    "join": lambda v, _sep: v,
    "split": lambda v, _sep: v,
    "title": lambda v: v,
    "lower": lambda v: v,
    "upper": lambda v: v,
    "truncate": lambda v, _n: v,
    "pad": lambda v, _a, _b: v,
}


def _type_name(value: Any) -> str:
    if isinstance(value, Struct):
        return value.type_name
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "interface {}"


# --- evaluation --------------------------------------------------------------------------


class Template:
    """A parsed template; :meth:`execute` renders it against one value."""

    def __init__(self, source: str, name: str = "") -> None:
        self.source = source
        self.name = name
        parser = _Parser(source, name)
        self.nodes, _, _ = parser.parse_list(())

    def execute(self, data: Any, funcs: dict[str, Callable[..., Any]] | None = None) -> str:
        out: list[str] = []
        self._funcs = funcs or FUNCS
        self._walk(self.nodes, data, [{"$": data}], out)
        return "".join(out)

    def _fail(self, pos: int, at: str, message: str) -> TemplateError:
        line_start = self.source.rfind("\n", 0, pos) + 1
        where = f"{_line(self.source, pos)}:{pos - line_start}"
        return TemplateError(
            f'template: {self.name}:{where}: executing "{self.name}" at <{at}>: {message}'
        )

    def _walk(
        self, nodes: list[Node], dot: Any, scope: list[dict[str, Any]], out: list[str]
    ) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "action":
                value = self._pipe(node[1], dot, scope)
                if not node[1][0]:
                    out.append(go_str(value))
            elif kind in ("if", "with"):
                inner = [*scope, {}]
                value = self._pipe(node[1], dot, inner)
                if truthy(value):
                    self._walk(node[2], value if kind == "with" else dot, inner, out)
                else:
                    self._walk(node[3], dot, inner, out)
            else:
                self._range(node, dot, scope, out)

    def _range(self, node: Node, dot: Any, scope: list[dict[str, Any]], out: list[str]) -> None:
        decl = node[1][0]
        value = self._pipe(([], False, node[1][2]), dot, scope)
        if isinstance(value, dict):
            pairs: list[tuple[Any, Any]] = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            pairs = list(enumerate(value))
        elif value is None or isinstance(value, _Missing):
            pairs = []
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(i, i) for i in range(value)]
        else:
            raise TemplateError(f"range can't iterate over {go_str(value)}")
        if not pairs:
            self._walk(node[3], dot, scope, out)
            return
        for key, item in pairs:
            frame: dict[str, Any] = {}
            if len(decl) == 1:
                frame[decl[0]] = item
            elif len(decl) == 2:
                frame[decl[0]], frame[decl[1]] = key, item
            self._walk(node[2], item, [*scope, frame], out)

    def _pipe(self, pipe: Any, dot: Any, scope: list[dict[str, Any]]) -> Any:
        decl, assign, cmds = pipe
        value: Any = NO_VALUE
        piped = False
        for cmd in cmds:
            value = self._command(cmd, dot, scope, value if piped else None, piped)
            piped = True
        if decl:
            name = decl[-1]
            if assign:
                for frame in reversed(scope):
                    if name in frame:
                        frame[name] = value
                        break
            else:
                scope[-1][name] = value
        return value

    def _command(
        self, cmd: list[Node], dot: Any, scope: list[dict[str, Any]], last: Any, piped: bool
    ) -> Any:
        head = cmd[0]
        if head[0] == "ident":
            args = [self._operand(op, dot, scope) for op in cmd[1:]]
            if piped:
                args.append(last)
            try:
                return self._funcs[head[1]](*args)
            except TemplateError as err:
                raise self._fail(head[2], head[1], str(err)) from None
            except (TypeError, ValueError, IndexError, KeyError, AttributeError) as err:
                raise self._fail(head[2], head[1], f"error calling {head[1]}: {err}") from None
        if len(cmd) > 1 or piped:
            raise self._fail(0, "", "can't give argument to non-function")
        return self._operand(head, dot, scope)

    def _operand(self, op: Node, dot: Any, scope: list[dict[str, Any]]) -> Any:
        kind = op[0]
        if kind == "dot":
            return dot
        if kind == "lit":
            return op[1]
        if kind == "field":
            return self._chain(dot, op[1], op[2], "")
        if kind == "var":
            for frame in reversed(scope):
                if op[1] in frame:
                    return self._chain(frame[op[1]], op[2], op[3], op[1])
            raise TemplateError(f'template: {self.name}:{op[3]}: undefined variable "{op[1]}"')
        if kind == "pipe":
            return self._chain(self._pipe(op[1], dot, scope), op[2], op[3], "(...)")
        raise self._fail(op[2], op[1], "function used as a value")

    def _chain(self, value: Any, chain: list[str], pos: int, prefix: str) -> Any:
        for i, name in enumerate(chain):
            at = prefix + "." + ".".join(chain[: i + 1])
            if isinstance(value, Struct):
                if name not in value.fields:
                    raise self._fail(
                        pos, at, f"can't evaluate field {name} in type {value.type_name}"
                    )
                value = value.fields[name]
            elif isinstance(value, dict):
                value = value.get(name, NO_VALUE)
            elif value is None or isinstance(value, _Missing):
                raise self._fail(pos, at, f"nil pointer evaluating interface {{}}.{name}")
            else:
                raise self._fail(
                    pos, at, f"can't evaluate field {name} in type {_type_name(value)}"
                )
        return value


def parse(source: str, name: str = "") -> Template:
    return Template(source, name)
