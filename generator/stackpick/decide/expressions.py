"""copier.yml's one-line expressions, evaluated without loading Jinja.

Most of copier.yml's `default:` and `when:` values are a single `{{ ... }}` over
earlier answers: `{{ follow_defaults.needs_auth }}`, `{{ data == 'relational' }}`,
`{{ needs_auth or needs_admin }}`. Jinja costs more to import and to compile each of
them than the whole recommendation costs to compute, so stackpick evaluates this
plain subset itself: names, `a.b` lookups in mappings, `==`/`!=`/`in`/`not in`,
`and`/`or`/`not`, parentheses and literals — which Jinja compiles to the same
Python operations. Anything else (filters, tests such as `is defined`, blocks,
an undefined name, an attribute a mapping also has as a method) raises
`NotPlain`, and the caller renders the expression with Jinja as before.
tests/test_expressions.py holds the two equal on every such expression in
copier.yml, over random answers.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

# Jinja's lowercase literals (Python's spellings parse as these names too).
LITERALS = {"true": True, "false": False, "none": None}
COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


# The syntax of the subset (operators and contexts are nodes of their own in `ast`).
ALLOWED = (
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.BoolOp,
    ast.UnaryOp,
    ast.Compare,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.And,
    ast.Or,
    ast.Not,
    *COMPARISONS,
)


class NotPlain(Exception):
    """The expression is outside the plain subset: render it with Jinja."""


def render_plain(template: str, context: Mapping[str, Any]) -> str:
    """`{{ expr }}` rendered as Jinja would render it (`str()` of the value)."""
    return str(_evaluate(_parse(template), context))


@cache
def _parse(template: str) -> ast.expr:
    """The expression of a template that is exactly one `{{ ... }}`."""
    text = template.strip()
    if not (text.startswith("{{") and text.endswith("}}")):
        raise NotPlain(template)
    inner = text[2:-2]
    if any(mark in inner for mark in ("{{", "}}", "{%", "{#", "|")):
        raise NotPlain(template)
    try:
        tree = ast.parse(inner.strip(), mode="eval")
    except SyntaxError:
        raise NotPlain(template) from None
    if not all(isinstance(node, ALLOWED) for node in ast.walk(tree.body)):
        raise NotPlain(template)
    return tree.body


def is_plain(template: str) -> bool:
    """Whether `template` is one `{{ ... }}` of the plain subset."""
    try:
        _parse(template)
    except NotPlain:
        return False
    return True


def _evaluate(node: ast.expr, context: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in context:
            return context[node.id]
        if node.id in LITERALS:
            return LITERALS[node.id]
        raise NotPlain(node.id)  # undefined: Jinja's Undefined has its own rules
    if isinstance(node, ast.Attribute):
        return _lookup(_evaluate(node.value, context), node.attr)
    if isinstance(node, ast.BoolOp):
        return _boolean(node, context)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _evaluate(node.operand, context)
    if isinstance(node, ast.List | ast.Tuple):
        items = [_evaluate(item, context) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        compare = COMPARISONS.get(type(node.ops[0]))
        if compare is not None:
            left = _evaluate(node.left, context)
            return compare(left, _evaluate(node.comparators[0], context))
    raise NotPlain(ast.dump(node))


def _lookup(value: Any, name: str) -> Any:
    """`value.name` for a mapping's key, as Jinja's getattr falls back to it."""
    if isinstance(value, Mapping) and name in value and not hasattr(value, name):
        return value[name]
    raise NotPlain(name)


def _boolean(node: ast.BoolOp, context: Mapping[str, Any]) -> Any:
    """`and`/`or` with Python's (and Jinja's) short-circuit, returning an operand."""
    result: Any = None
    for operand in node.values:
        result = _evaluate(operand, context)
        if isinstance(node.op, ast.And) and not result:
            return result
        if isinstance(node.op, ast.Or) and result:
            return result
    return result
