"""Evaluation of XLSForm-style expressions ("relevant" and "constraint").

The supported subset of XPath, which is what survey authors write in practice:

    ${has_iom} = 'yes' and not(${position} = 'director')
    selected(${support_forms}, 'mentor') or count-selected(${kinds}) >= 2
    . >= 0 and . <= ${total_staff}
    . <= today()

    $risk_zone and not(${has_plan} = 'yes')

Operators: or, and, = != < <= > >=, + - * div mod, unary minus, parentheses.
Functions: not, selected, count-selected, string-length, today, true, false.
"${name}" is an earlier answer, "." the value being checked. An unanswered or
skipped question reads as the empty string, like in ODK: it equals '' and fails
every numeric comparison.

"$name" (an XPath variable: a dollar sign, no braces) is a fact the product knows about the
respondent's school in the campaign's period, read-only (surveys.facts lists them): whether
it is in the risk zone, ШНРО, ШНСУ, its declared staff of the previous period, ... A fact
that is not known reads as the empty string too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping


class ExpressionError(ValueError):
    """A syntax error in an expression; the message is meant for the survey author."""


# Bounds that keep parsing, walking and evaluating far from Python's recursion limit (1000 frames;
# the bot evaluates inside a handler that is already ~150 frames deep). Each level of parentheses,
# function call or unary minus costs the parser 7 frames; a chain of binary operators costs the
# walk and the evaluation one frame per operator.
MAX_LENGTH = 2000  # characters; real relevant/constraint expressions are a few hundred at most
MAX_NESTING = 50  # parentheses, function calls and unary minuses inside one another
MAX_DEPTH = 200  # the tree's depth: operators chained one after another, nesting included


_TOKEN_RE = re.compile(
    r"""
    \s*(?:
      (?P<ref>\$\{(?P<refname>[A-Za-z_][A-Za-z0-9_]*)\})
    | (?P<var>\$(?P<varname>[A-Za-z_][A-Za-z0-9_]*))
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
    | (?P<dot>\.(?![0-9]))
    | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
    )""",
    re.VERBOSE,
)

_FUNCTIONS = {"not", "selected", "count-selected", "string-length", "today", "true", "false"}
_ARITY = {"not": 1, "selected": 2, "count-selected": 1, "string-length": 1, "today": 0, "true": 0, "false": 0}


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # lit, ref, dot, call, bin, neg
    value: Any = None
    args: tuple[Node, ...] = ()
    depth: int = 1  # of the tree under this node, this node included


def _node(kind: str, value: Any, args: tuple[Node, ...]) -> Node:
    depth = 1 + max((a.depth for a in args), default=0)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"слишком длинная цепочка операций (больше {MAX_DEPTH}): упростите выражение "
                              "или разделите условие между несколькими вопросами")
    return Node(kind, value, args, depth)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"непонятный символ в позиции {pos + 1}: {text[pos:pos + 10]!r}")
        pos = match.end()
        kind = match.lastgroup
        if kind == "refname":
            kind = "ref"
        if match.group("ref"):
            tokens.append(("ref", match.group("refname")))
        elif match.group("var"):
            tokens.append(("var", match.group("varname")))
        elif kind == "string":
            tokens.append(("string", match.group("string")[1:-1]))
        else:
            tokens.append((kind, match.group(kind)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise ExpressionError(f"выражение длиннее {MAX_LENGTH} символов ({len(text)}): упростите его "
                                  "или разделите условие между несколькими вопросами")
        self.tokens = _tokenize(text)
        self.pos = 0
        self.nesting = 0

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ExpressionError(f"слишком глубокая вложенность скобок, функций и минусов (больше {MAX_NESTING}): "
                                  "упростите выражение")

    def leave(self) -> None:
        self.nesting -= 1

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ExpressionError("выражение оборвано")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.peek() is None:
            raise ExpressionError(f"ожидалось {value!r}, а выражение кончилось")
        token = self.take()
        if token[1] != value:
            raise ExpressionError(f"ожидалось {value!r}, а стоит {token[1]!r}")

    def at_word(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] in ("name", "op") and token[1] in words:
            return token[1]
        return None

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("пустое выражение")
        node = self.or_expr()
        if self.peek() is not None:
            raise ExpressionError(f"лишнее в конце выражения: {self.peek()[1]!r}")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.at_word("or"):
            self.take()
            node = _node("bin", "or", (node, self.and_expr()))
        return node

    def and_expr(self) -> Node:
        node = self.comparison()
        while self.at_word("and"):
            self.take()
            node = _node("bin", "and", (node, self.comparison()))
        return node

    def comparison(self) -> Node:
        node = self.additive()
        op = self.at_word("=", "!=", "<", "<=", ">", ">=")
        if op:
            self.take()
            node = _node("bin", op, (node, self.additive()))
        return node

    def additive(self) -> Node:
        node = self.multiplicative()
        while op := self.at_word("+", "-"):
            self.take()
            node = _node("bin", op, (node, self.multiplicative()))
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while op := self.at_word("*", "div", "mod"):
            self.take()
            node = _node("bin", op, (node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.at_word("-"):
            self.take()
            self.enter()
            operand = self.unary()
            self.leave()
            return _node("neg", None, (operand,))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "number":
            return Node("lit", float(value) if "." in value else int(value))
        if kind == "string":
            return Node("lit", value)
        if kind == "ref":
            return Node("ref", value)
        if kind == "var":
            return Node("var", value)
        if kind == "dot":
            return Node("dot")
        if kind == "op" and value == "(":
            self.enter()
            node = self.or_expr()
            self.expect(")")
            self.leave()
            return node
        if kind == "name":
            if value not in _FUNCTIONS:
                raise ExpressionError(f"неизвестная функция или слово {value!r}")
            self.expect("(")
            self.enter()
            args: list[Node] = []
            if not self.at_word(")"):
                args.append(self.or_expr())
                while self.at_word(","):
                    self.take()
                    args.append(self.or_expr())
            self.expect(")")
            self.leave()
            if len(args) != _ARITY[value]:
                raise ExpressionError(f"функция {value}() принимает аргументов: {_ARITY[value]}")
            return _node("call", value, tuple(args))
        raise ExpressionError(f"неожиданное {value!r}")


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    root: Node

    def _names(self, kind: str) -> set[str]:
        found: set[str] = set()

        def walk(node: Node) -> None:
            if node.kind == kind:
                found.add(node.value)
            for arg in node.args:
                walk(arg)

        walk(self.root)
        return found

    @property
    def references(self) -> set[str]:
        """The questions it reads: ${name}."""
        return self._names("ref")

    @property
    def variables(self) -> set[str]:
        """The facts it reads: $name."""
        return self._names("var")

    @property
    def uses_dot(self) -> bool:
        def walk(node: Node) -> bool:
            return node.kind == "dot" or any(walk(a) for a in node.args)

        return walk(self.root)

    def evaluate(
        self,
        answers: Mapping[str, Any],
        current: Any = None,
        today: dt.date | None = None,
        facts: Mapping[str, Any] | None = None,
    ) -> bool:
        """`today`: the respondent's date for `today()`, from the clock the caller was given."""
        return _truthy(_eval(self.root, _Scope(answers, facts or {}, today), current))


_cache: dict[str, Expression] = {}


def compile_expression(source: str) -> Expression:
    """Parse once; raises ExpressionError with a Russian message on bad syntax."""
    expr = _cache.get(source)
    if expr is None:
        expr = Expression(source, _Parser(source).parse())
        _cache[source] = expr
    return expr


def evaluate(source: str, answers: Mapping[str, Any], current: Any = None, facts: Mapping[str, Any] | None = None) -> bool:
    return compile_expression(source).evaluate(answers, current, facts=facts)


@dataclass(frozen=True, slots=True)
class _Scope:
    answers: Mapping[str, Any]
    facts: Mapping[str, Any]
    today: dt.date | None


def _norm(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):  # a file answer
        return value.get("file_id", "")
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return value not in ("", None)


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, list):
        left = " ".join(left)
    if isinstance(right, list):
        right = " ".join(right)
    ln, rn = _number(left), _number(right)
    if ln is not None and rn is not None:
        a, b = ln, rn
    elif op in ("=", "!="):
        a, b = str(left), str(right)
    elif left == "" or right == "":
        return False
    else:  # ISO dates and other strings order lexicographically
        a, b = str(left), str(right)
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _arith(op: str, left: Any, right: Any) -> float | str:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return ""  # NaN-like: fails every comparison
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return ""
    return a / b if op == "div" else a % b


def _eval(node: Node, scope: _Scope, current: Any) -> Any:
    kind = node.kind
    if kind == "lit":
        return node.value
    if kind == "ref":
        return _norm(scope.answers.get(node.value))
    if kind == "var":
        return _norm(scope.facts.get(node.value))
    if kind == "dot":
        return _norm(current)
    if kind == "neg":
        value = _number(_eval(node.args[0], scope, current))
        return "" if value is None else -value
    if kind == "bin":
        op = node.value
        if op == "or":
            return _truthy(_eval(node.args[0], scope, current)) or _truthy(
                _eval(node.args[1], scope, current)
            )
        if op == "and":
            return _truthy(_eval(node.args[0], scope, current)) and _truthy(
                _eval(node.args[1], scope, current)
            )
        left = _eval(node.args[0], scope, current)
        right = _eval(node.args[1], scope, current)
        if op in ("+", "-", "*", "div", "mod"):
            return _arith(op, left, right)
        return _compare(op, left, right)
    # function call
    name = node.value
    args = [_eval(a, scope, current) for a in node.args]
    if name == "not":
        return not _truthy(args[0])
    if name == "selected":
        value, wanted = args
        if isinstance(value, list):
            return str(wanted) in value
        return str(value) == str(wanted) if value != "" else False
    if name == "count-selected":
        value = args[0]
        if isinstance(value, list):
            return len(value)
        return 0 if value == "" else 1
    if name == "string-length":
        return len(str(args[0]))
    if name == "today":
        if scope.today is None:
            raise ExpressionError("today() вычисляется только при ответе на анкету")
        return scope.today.isoformat()
    if name == "true":
        return True
    if name == "false":
        return False
    raise ExpressionError(f"неизвестная функция {name}")  # pragma: no cover - parser rejects it
