"""Boolean expressions over status/alarm acronyms, as the manual's appendices
write them: ``S04&!S07``, ``A019 & S000``, ``A01 | A47``, ``!S02 & !S03 & !S04``.

Grammar: ``or := and ('|' and)*``; ``and := not ('&' not)*``;
``not := '!' not | '(' or ')' | ACRONYM | '0' | '1'``. An empty expression is
"not available" and evaluates to False.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache

_TOKEN = re.compile(r"\s*(?:([SA]\d{2,3})|([01])|([&|!()]))")

Evaluator = Callable[[AbstractSet[str]], bool]


class ExpressionError(ValueError):
    pass


@dataclass(frozen=True)
class Expression:
    text: str
    acronyms: frozenset[str]
    evaluate: Evaluator

    def __call__(self, active: AbstractSet[str]) -> bool:
        return self.evaluate(active)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise ExpressionError(f"unexpected {text[position:]!r} in expression {text!r}")
        tokens.append(next(group for group in match.groups() if group))
        position = match.end()
    return tokens


@cache
def compile_expression(text: str) -> Expression:
    tokens = _tokenize(text)
    position = 0
    acronyms: set[str] = set()

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ExpressionError(f"expression {text!r} ends too early")
        position += 1
        return tokens[position - 1]

    def parse_or() -> Evaluator:
        terms = [parse_and()]
        while peek() == "|":
            take()
            terms.append(parse_and())
        if len(terms) == 1:
            return terms[0]
        return lambda active: any(term(active) for term in terms)

    def parse_and() -> Evaluator:
        factors = [parse_not()]
        while peek() == "&":
            take()
            factors.append(parse_not())
        if len(factors) == 1:
            return factors[0]
        return lambda active: all(factor(active) for factor in factors)

    def parse_not() -> Evaluator:
        token = take()
        if token == "!":
            inner = parse_not()
            return lambda active: not inner(active)
        if token == "(":
            inner = parse_or()
            if take() != ")":
                raise ExpressionError(f"missing ')' in expression {text!r}")
            return inner
        if token in ("0", "1"):
            constant = token == "1"
            return lambda active: constant
        if token[0] in "SA":
            acronyms.add(token)
            return lambda active: token in active
        raise ExpressionError(f"unexpected {token!r} in expression {text!r}")

    if not tokens:
        return Expression(text, frozenset(), lambda active: False)
    evaluator = parse_or()
    if position != len(tokens):
        raise ExpressionError(f"unexpected {tokens[position]!r} in expression {text!r}")
    return Expression(text, frozenset(acronyms), evaluator)
