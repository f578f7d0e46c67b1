"""Relations between declared parameters (``lo < hi``) that every configuration must satisfy.

A scenario declares them as ``constraints=["lo < hi", "hi - lo >= 0.1", some_function]``.  A
text constraint is an expression over parameter names and numbers with comparisons
(``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``, chained as in Python), arithmetic
(``+ - * / **``, unary minus), ``and``/``or``/``not`` and the functions ``abs``, ``min``,
``max``, ``log``, ``exp`` and ``sqrt``; strings compare with categorical parameters.  It is
parsed with :mod:`ast` and evaluated by walking the tree: nothing is ever executed, so any
other construct (attribute access, other calls, subscripts) is refused with a message naming
it.  A callable constraint is called with the
values of the parameters its signature names and must return a truth value.

Searches sample within the constraints (a proposal that violates one is rejected before it
is analysed) and phase diagrams show cells that violate one as invalid.
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ConstraintError(ValueError):
    """A constraint cannot be parsed or evaluated; the message quotes it."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "abs": abs, "min": min, "max": max, "log": math.log, "exp": math.exp, "sqrt": math.sqrt,
}


def _names_in(tree: ast.AST, text: str) -> tuple[str, ...]:
    """The parameter names ``tree`` uses, after checking every node is allowed."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in _FUNCTIONS and node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS \
                    or node.keywords:
                raise ConstraintError(f"constraint {text!r}: only the functions "
                                      f"{', '.join(_FUNCTIONS)} may be called")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
                raise ConstraintError(f"constraint {text!r}: {node.value!r} is not a number "
                                      "or a string")
        elif not isinstance(node, ast.Expression | ast.Compare | ast.BinOp | ast.UnaryOp
                            | ast.BoolOp | ast.Load | ast.cmpop | ast.operator | ast.unaryop
                            | ast.boolop):
            raise ConstraintError(f"constraint {text!r}: {type(node).__name__} is not allowed "
                                  "(use parameter names, numbers, comparisons, arithmetic, "
                                  "and/or/not)")
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise ConstraintError(f"constraint {text!r}: operator {type(node.op).__name__} "
                                  "is not allowed")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd
                                                           | ast.Not):
            raise ConstraintError(f"constraint {text!r}: operator {type(node.op).__name__} "
                                  "is not allowed")
    return tuple(names)


def _evaluate(node: ast.AST, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        if isinstance(node.op, ast.Not):
            return not operand
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values),
                                      _evaluate(node.right, values))
    if isinstance(node, ast.BoolOp):
        results = (_evaluate(v, values) for v in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, values)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return _FUNCTIONS[node.func.id](*(_evaluate(a, values) for a in node.args))
    raise ConstraintError(f"cannot evaluate {type(node).__name__}")  # refused when parsed


@dataclass(frozen=True)
class Constraint:
    """One relation between parameters: ``text`` (how it is shown) and ``names`` (the
    parameters it reads); :meth:`holds` evaluates it."""

    text: str
    names: tuple[str, ...]
    _check: Callable[[Mapping[str, Any]], Any]

    @classmethod
    def parse(cls, spec: str | Callable[..., Any] | Constraint) -> Constraint:
        """A constraint from its text or a callable (see the module docstring).

        Raises:
            ConstraintError: the text is not a valid constraint expression.
        """
        if isinstance(spec, Constraint):
            return spec
        if callable(spec):
            fn = spec
            try:
                params = inspect.signature(fn).parameters
            except (TypeError, ValueError):
                raise ConstraintError(f"constraint {fn!r}: its signature cannot be read; "
                                      "name the parameters it takes") from None
            names = tuple(params)
            label = getattr(fn, "__name__", repr(fn))
            return cls(label, names, lambda values: fn(**{n: values[n] for n in names}))
        if not isinstance(spec, str) or not spec.strip():
            raise ConstraintError(f"constraint {spec!r}: expected an expression such as "
                                  "'lo < hi' or a function of parameters")
        text = spec.strip()
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ConstraintError(f"constraint {text!r}: not an expression ({exc.msg})") \
                from None
        names = _names_in(tree, text)
        return cls(text, names, lambda values: _evaluate(tree, values))

    def holds(self, values: Mapping[str, Any]) -> bool:
        """Whether ``values`` (a mapping with every name of the constraint) satisfy it.

        Raises:
            ConstraintError: evaluating it failed (a division by zero, ``log`` of a
                negative number, a function that raised).
        """
        try:
            return bool(self._check(values))
        except ConstraintError:
            raise
        except Exception as exc:  # the user's function or arithmetic
            raise ConstraintError(f"constraint {self.text!r} could not be evaluated at "
                                  f"{', '.join(f'{n}={values[n]!r}' for n in self.names)}: "
                                  f"{type(exc).__name__}: {exc}") from exc


def violated(constraints: tuple[Constraint, ...] | list[Constraint],
             values: Mapping[str, Any]) -> list[str]:
    """The texts of the constraints that ``values`` violate (or cannot be evaluated at)."""
    out = []
    for constraint in constraints:
        try:
            ok = constraint.holds(values)
        except ConstraintError:
            ok = False
        if not ok:
            out.append(constraint.text)
    return out
