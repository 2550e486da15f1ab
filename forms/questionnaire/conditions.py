"""Show-if conditions: a small expression tree, never ``eval``.

A condition is built from seven node types and arrives either as JSON data
(``{"op": "eq", "question": "q3", "value": "yes"}``) or as XLSForm ``relevant``
text (``${q3} = 'yes' and ${age} >= 30``), which a hand-written tokenizer and
recursive-descent parser turn into the same tree.

Evaluation rules (``evaluate``), chosen so a skipped question never switches
a follow-up on by accident:

* A question is *unanswered* when its answer is absent, ``None``, ``""``, an
  empty list or an empty dict. Answers to hidden questions must be left out
  by the caller (``checks.visible_questions`` does this), so they count as
  unanswered too.
* Every comparison (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``), ``in`` and
  ``selected`` is **false** when its question is unanswered — ``!=`` included.
  ``not(...)`` is plain negation, so ``not(${q} = 'a')`` is true for an
  unanswered ``q`` while ``${q} != 'a'`` is false. ``answered`` tests presence.
* When either side is a number both are compared as numbers (a text that is
  not a number then makes the comparison false); otherwise both are compared
  as text, which orders ISO dates correctly.
* A single choice answered with "other" (``{"option": id, "other": text}``)
  compares by its option id. ``selected`` tests membership in a multiple
  choice or ranking answer and equality for a single choice. Comparisons on
  a list or a matrix answer are false (publish checks reject them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Union

from forms.questionnaire.ids import QUESTION_ID_RULE, is_question_id

#: JSON operator name -> XLSForm symbol, for the six comparisons.
COMPARISONS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_SYMBOL_TO_OP = {symbol: op for op, symbol in COMPARISONS.items()}
#: Operator to use when the literal is written on the left (``30 <= ${age}``).
_MIRRORED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}

MAX_TEXT_LENGTH = 4000
MAX_DEPTH = 40


class ConditionError(ValueError):
    """A condition that cannot be built, with a message naming what is wrong."""


class ConditionSyntaxError(ConditionError):
    """XLSForm condition text that does not parse; ``position`` is 0-based."""

    def __init__(self, message: str, position: int, text: str):
        self.position = position
        self.text = text
        self.reason = message
        super().__init__(f"character {position + 1}: {message}")


def _check_question(question: object) -> None:
    if not is_question_id(question):
        raise ConditionError(f"question reference {question!r} is not a question id ({QUESTION_ID_RULE})")


def _check_text_value(value: str, what: str) -> None:
    if value == "":
        raise ConditionError(f"{what} is empty; use 'answered' to test whether a question was answered")
    if "'" in value and '"' in value:
        raise ConditionError(f"{what} {value!r} holds both kinds of quote and cannot be written as XLSForm text")


@dataclass(frozen=True)
class Compare:
    """``question <op> value`` for op in eq, ne, lt, le, gt, ge."""

    question: str
    op: str
    value: str | int | float

    def __post_init__(self) -> None:
        _check_question(self.question)
        if self.op not in COMPARISONS:
            raise ConditionError(f"unknown comparison {self.op!r}; use one of {', '.join(COMPARISONS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, (str, int, float)):
            raise ConditionError(f"comparison value {self.value!r} must be text or a number")
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise ConditionError(f"comparison value {self.value!r} must be a finite number")
        if isinstance(self.value, str):
            _check_text_value(self.value, "comparison value")


@dataclass(frozen=True)
class In:
    """The answer equals one of ``values`` (option ids or other words without spaces)."""

    question: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_question(self.question)
        if not isinstance(self.values, tuple) or not self.values:
            raise ConditionError("'in' needs a non-empty tuple of values")
        for value in self.values:
            if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
                raise ConditionError(f"'in' value {value!r} must be non-empty text without spaces")
            _check_text_value(value, "'in' value")
        if len(set(self.values)) != len(self.values):
            raise ConditionError("'in' lists a value twice")


@dataclass(frozen=True)
class Selected:
    """``option`` is among the answer's chosen (or ranked) options."""

    question: str
    option: str

    def __post_init__(self) -> None:
        _check_question(self.question)
        if not isinstance(self.option, str):
            raise ConditionError(f"selected option {self.option!r} must be text")
        _check_text_value(self.option, "selected option")


@dataclass(frozen=True)
class Answered:
    """The question has an answer."""

    question: str

    def __post_init__(self) -> None:
        _check_question(self.question)


@dataclass(frozen=True)
class Not:
    operand: Condition

    def __post_init__(self) -> None:
        if not isinstance(self.operand, _NODES):
            raise ConditionError("'not' needs a condition")


@dataclass(frozen=True)
class And:
    operands: tuple[Condition, ...]

    def __post_init__(self) -> None:
        _check_operands("and", self.operands)


@dataclass(frozen=True)
class Or:
    operands: tuple[Condition, ...]

    def __post_init__(self) -> None:
        _check_operands("or", self.operands)


Condition = Union[Compare, In, Selected, Answered, Not, And, Or]
_NODES = (Compare, In, Selected, Answered, Not, And, Or)


def _check_operands(name: str, operands: object) -> None:
    if not isinstance(operands, tuple) or len(operands) < 2:
        raise ConditionError(f"'{name}' needs a tuple of at least two conditions")
    if not all(isinstance(item, _NODES) for item in operands):
        raise ConditionError(f"'{name}' may only combine conditions")


# --------------------------------------------------------------------------- walking

def references(condition: Condition | None) -> tuple[str, ...]:
    """Question ids the condition reads, in first-mention order, each once."""
    seen: dict[str, None] = {}
    for node in leaves(condition):
        seen.setdefault(node.question, None)
    return tuple(seen)


def leaves(condition: Condition | None) -> tuple[Compare | In | Selected | Answered, ...]:
    """The question-reading nodes of the tree, left to right."""
    if condition is None:
        return ()
    if isinstance(condition, Not):
        return leaves(condition.operand)
    if isinstance(condition, (And, Or)):
        return tuple(leaf for operand in condition.operands for leaf in leaves(operand))
    return (condition,)


# --------------------------------------------------------------------------- evaluation

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def as_number(value: object) -> float | int | None:
    """A number, or numeric text as a float; anything else gives None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        return float(value)
    return None


def _present(answer: object) -> bool:
    return not (answer is None or answer == "" or answer == [] or answer == {} or answer == ())


def _scalar(answer: object) -> object:
    """The comparable value of an answer: the option id of an "other" choice."""
    if isinstance(answer, Mapping) and "option" in answer:
        return answer["option"]
    return answer


def compare(answer: object, op: str, value: object) -> bool:
    """One comparison of a present scalar answer, with the coercion rules above."""
    if isinstance(answer, (list, tuple, Mapping)) or isinstance(answer, bool):
        return False
    if isinstance(answer, (int, float)) or isinstance(value, (int, float)):
        left, right = as_number(answer), as_number(value)
        if left is None or right is None:
            return False
    else:
        left, right = answer, value
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op == "lt":
        return left < right
    if op == "le":
        return left <= right
    if op == "gt":
        return left > right
    return left >= right


def evaluate(condition: Condition | None, answers: Mapping[str, object]) -> bool:
    """Whether ``condition`` holds for ``answers`` (canonical answer values).

    ``None`` (no condition) is always true. See the module docstring for the
    treatment of unanswered questions.
    """
    if condition is None:
        return True
    if isinstance(condition, Not):
        return not evaluate(condition.operand, answers)
    if isinstance(condition, And):
        return all(evaluate(item, answers) for item in condition.operands)
    if isinstance(condition, Or):
        return any(evaluate(item, answers) for item in condition.operands)
    answer = answers.get(condition.question)
    if not _present(answer):
        return False
    if isinstance(condition, Answered):
        return True
    if isinstance(condition, Selected):
        if isinstance(answer, (list, tuple)):
            return any(_scalar(item) == condition.option for item in answer)
        return compare(_scalar(answer), "eq", condition.option)
    answer = _scalar(answer)
    if isinstance(condition, In):
        return any(compare(answer, "eq", value) for value in condition.values)
    return compare(answer, condition.op, condition.value)


# --------------------------------------------------------------------------- JSON

def to_dict(condition: Condition) -> dict:
    """JSON-ready form of a condition; :func:`from_dict` reads it back unchanged."""
    if isinstance(condition, Compare):
        return {"op": condition.op, "question": condition.question, "value": condition.value}
    if isinstance(condition, In):
        return {"op": "in", "question": condition.question, "values": list(condition.values)}
    if isinstance(condition, Selected):
        return {"op": "selected", "question": condition.question, "option": condition.option}
    if isinstance(condition, Answered):
        return {"op": "answered", "question": condition.question}
    if isinstance(condition, Not):
        return {"op": "not", "condition": to_dict(condition.operand)}
    if isinstance(condition, (And, Or)):
        name = "and" if isinstance(condition, And) else "or"
        return {"op": name, "conditions": [to_dict(item) for item in condition.operands]}
    raise ConditionError(f"not a condition: {condition!r}")


_KEYS = {
    "in": {"op", "question", "values"},
    "selected": {"op", "question", "option"},
    "answered": {"op", "question"},
    "not": {"op", "condition"},
    "and": {"op", "conditions"},
    "or": {"op", "conditions"},
    **{op: {"op", "question", "value"} for op in COMPARISONS},
}


def from_dict(data: object, path: str = "condition", _depth: int = 0) -> Condition:
    """Build a condition from JSON data; XLSForm text is accepted too.

    Raises :class:`ConditionError` whose message starts with ``path``.
    """
    if _depth > MAX_DEPTH:
        raise ConditionError(f"{path}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(data, str):
        try:
            return parse(data)
        except ConditionSyntaxError as exc:
            raise ConditionError(f"{path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConditionError(f"{path}: expected an object with an 'op', got {type(data).__name__}")
    op = data.get("op")
    if op not in _KEYS:
        raise ConditionError(f"{path}: unknown op {op!r}; use one of {', '.join(_KEYS)}")
    expected = _KEYS[op]
    unknown = sorted(set(data) - expected)
    if unknown:
        raise ConditionError(f"{path}: unknown key {unknown[0]!r} for op {op!r}")
    missing = sorted(expected - set(data))
    if missing:
        raise ConditionError(f"{path}: op {op!r} needs key {missing[0]!r}")
    try:
        if op == "not":
            return Not(from_dict(data["condition"], f"{path}.condition", _depth + 1))
        if op in ("and", "or"):
            items = data["conditions"]
            if not isinstance(items, list):
                raise ConditionError(f"'{op}' needs a list of conditions")
            operands = tuple(
                from_dict(item, f"{path}.conditions[{i}]", _depth + 1) for i, item in enumerate(items)
            )
            return And(operands) if op == "and" else Or(operands)
        if op == "in":
            values = data["values"]
            if not isinstance(values, list):
                raise ConditionError("'in' needs a list of values")
            return In(data["question"], tuple(values))
        if op == "selected":
            return Selected(data["question"], data["option"])
        if op == "answered":
            return Answered(data["question"])
        return Compare(data["question"], op, data["value"])
    except ConditionError as exc:
        message = str(exc)
        if message.startswith(path):
            raise
        raise ConditionError(f"{path}: {message}") from None


# --------------------------------------------------------------------------- XLSForm text

def _literal(value: str | int | float) -> str:
    if isinstance(value, str):
        return f'"{value}"' if "'" in value else f"'{value}'"
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def to_xlsform_text(condition: Condition) -> str:
    """XLSForm ``relevant`` text; :func:`parse` turns it back into an equal tree.

    ``in`` is written ``selected('a b', ${q})`` (true when the answer is one of
    the space-separated words) and ``answered`` is written ``${q} != ''``.
    """
    if isinstance(condition, Compare):
        return f"${{{condition.question}}} {COMPARISONS[condition.op]} {_literal(condition.value)}"
    if isinstance(condition, In):
        return f"selected({_literal(' '.join(condition.values))}, ${{{condition.question}}})"
    if isinstance(condition, Selected):
        return f"selected(${{{condition.question}}}, {_literal(condition.option)})"
    if isinstance(condition, Answered):
        return f"${{{condition.question}}} != ''"
    if isinstance(condition, Not):
        return f"not({to_xlsform_text(condition.operand)})"
    if isinstance(condition, (And, Or)):
        joiner = " and " if isinstance(condition, And) else " or "
        parts = []
        for item in condition.operands:
            text = to_xlsform_text(item)
            parts.append(f"({text})" if isinstance(item, (And, Or)) else text)
        return joiner.join(parts)
    raise ConditionError(f"not a condition: {condition!r}")


@dataclass(frozen=True)
class _Token:
    kind: str  # ref, str, num, op, lparen, rparen, comma, name, end
    value: object
    position: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of text"
        if self.kind == "ref":
            return f"${{{self.value}}}"
        if self.kind == "str":
            return _literal(self.value) if self.value else "''"
        if self.kind == "num":
            return str(self.value)
        return f"'{self.value}'"


_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*")
_REF_NAME = re.compile(r"\$\{([^}]*)\}")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("${", i):
            match = _REF_NAME.match(text, i)
            if match is None:
                raise ConditionSyntaxError("'${' is never closed with '}'", i, text)
            if not is_question_id(match.group(1)):
                raise ConditionSyntaxError(f"{match.group(0)} does not name a question ({QUESTION_ID_RULE})", i, text)
            tokens.append(_Token("ref", match.group(1), i))
            i = match.end()
        elif ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ConditionSyntaxError(f"text starting with {ch} is never closed", i, text)
            tokens.append(_Token("str", text[i + 1:end], i))
            i = end + 1
        elif (match := _NUMBER.match(text, i)) is not None:
            raw = match.group(0)
            value = float(raw) if "." in raw else int(raw)
            tokens.append(_Token("num", value, i))
            i = match.end()
        elif text.startswith(("!=", "<=", ">="), i):
            tokens.append(_Token("op", text[i:i + 2], i))
            i += 2
        elif text.startswith("==", i):
            raise ConditionSyntaxError("'==' is not XLSForm; write '='", i, text)
        elif ch in "=<>":
            tokens.append(_Token("op", ch, i))
            i += 1
        elif ch in "(),":
            tokens.append(_Token({"(": "lparen", ")": "rparen", ",": "comma"}[ch], ch, i))
            i += 1
        elif (match := _WORD.match(text, i)) is not None:
            tokens.append(_Token("name", match.group(0), i))
            i = match.end()
        else:
            raise ConditionSyntaxError(f"unexpected character {ch!r}", i, text)
    tokens.append(_Token("end", None, n))
    return tokens


class _Parser:
    """Recursive descent over: or_expr := and_expr ('or' and_expr)*;
    and_expr := unary ('and' unary)*; unary := 'not' '(' or_expr ')' |
    '(' or_expr ')' | 'selected' '(' args ')' | operand op operand."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: _Token) -> ConditionSyntaxError:
        return ConditionSyntaxError(message, token.position, self.text)

    def expect(self, kind: str, wanted: str) -> _Token:
        token = self.take()
        if token.kind != kind:
            raise self.error(f"expected {wanted}, found {token.describe()}", token)
        return token

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.value == word

    def parse(self) -> Condition:
        result = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise self.error(f"expected 'and', 'or' or the end, found {token.describe()}", token)
        return result

    def or_expr(self) -> Condition:
        items = [self.and_expr()]
        while self.is_word("or"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Condition:
        items = [self.unary()]
        while self.is_word("and"):
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def nested(self) -> Condition:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep", self.peek())
        result = self.or_expr()
        self.depth -= 1
        self.expect("rparen", "')'")
        return result

    def unary(self) -> Condition:
        token = self.peek()
        if token.kind == "lparen":
            self.take()
            return self.nested()
        if token.kind == "name":
            if token.value == "not":
                self.take()
                self.expect("lparen", "'(' after 'not'")
                return Not(self.nested())
            if token.value == "selected":
                return self.selected()
            raise self.error(f"{token.describe()} is not supported in Kaimen conditions", token)
        return self.comparison()

    def selected(self) -> Condition:
        self.take()
        self.expect("lparen", "'(' after 'selected'")
        first = self.take()
        self.expect("comma", "',' between the two arguments of selected()")
        second = self.take()
        self.expect("rparen", "')' after the two arguments of selected()")
        if first.kind == "ref" and second.kind in ("str", "num"):
            option = second.value if second.kind == "str" else _literal(second.value)
            if option == "":
                raise self.error("selected() needs an option name, found ''", second)
            return self._build(lambda: Selected(first.value, option), second)
        if first.kind == "str" and second.kind == "ref":
            words = tuple(first.value.split())
            if not words:
                raise self.error("selected() needs at least one word in its list", first)
            return self._build(lambda: In(second.value, tuple(dict.fromkeys(words))), first)
        raise self.error("selected() takes a question and an option, as in selected(${q}, 'a')", first)

    def operand(self, after: _Token | None = None) -> _Token:
        token = self.take()
        if token.kind not in ("ref", "str", "num"):
            where = f" after {after.describe()}" if after is not None else ""
            raise self.error(
                f"expected a question like ${{q1}}, a number or quoted text{where}, found {token.describe()}", token
            )
        return token

    def comparison(self) -> Condition:
        left = self.operand()
        op_token = self.take()
        if op_token.kind != "op":
            raise self.error(f"expected a comparison (=, !=, <, <=, >, >=) after {left.describe()}, "
                             f"found {op_token.describe()}", op_token)
        right = self.operand(after=op_token)
        op = _SYMBOL_TO_OP[op_token.value]
        if left.kind == "ref" and right.kind == "ref":
            raise self.error("comparing two questions with each other is not supported", left)
        if left.kind != "ref" and right.kind != "ref":
            raise self.error("a comparison needs a question like ${q1} on one side", left)
        if left.kind == "ref":
            question, literal = left.value, right
        else:
            question, literal, op = right.value, left, _MIRRORED[op]
        if literal.kind == "str" and literal.value == "":
            if op == "ne":
                return Answered(question)
            if op == "eq":
                return Not(Answered(question))
            raise self.error(f"'{op_token.value}' cannot compare with empty text", literal)
        return self._build(lambda: Compare(question, op, literal.value), literal)

    def _build(self, make, token: _Token) -> Condition:
        try:
            return make()
        except ConditionError as exc:
            raise self.error(str(exc), token) from None


def parse(text: str) -> Condition:
    """Parse XLSForm ``relevant`` text into a condition tree.

    Supported: ``${q}`` compared with quoted text or a number by ``=``, ``!=``,
    ``<``, ``<=``, ``>``, ``>=`` (either side); ``${q} != ''`` (answered);
    ``selected(${q}, 'a')``; ``selected('a b', ${q})`` (in); ``not(...)``;
    ``and``, ``or`` (``and`` binds tighter) and parentheses. Raises
    :class:`ConditionSyntaxError` with the position of the first problem.
    """
    if not isinstance(text, str):
        raise ConditionError(f"condition text must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ConditionSyntaxError(f"longer than {MAX_TEXT_LENGTH} characters", MAX_TEXT_LENGTH, text)
    if not text.strip():
        raise ConditionSyntaxError("the condition is empty", 0, text)
    return _Parser(text).parse()
