"""The willingness script of the corporate legal-representative check: mandatory yes/no questions.

A script is data: the bank may replace :data:`DEFAULT_SCRIPT` with its own (``load_script`` reads a
TOML file such as)::

    final_confirmation = "I confirm my answers and want {company} to open this account."

    [[questions]]
    id = "identity_and_role"
    text = "Are you {representative}, the legal representative of {company}?"
    expected = true

Texts may use the placeholders ``{company}``, ``{representative}`` (the verified person's name) and
``{account_type}``; nothing else (no attribute access, no format specs). ``expected`` is the answer
that supports opening the account; a confirmed other answer ends the check as ``rejected``.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDERS = frozenset({"company", "representative", "account_type"})
MAX_QUESTIONS = 20
MAX_TEXT = 400
_QUESTION_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ScriptError(ValueError):
    """The script is malformed; the message names the question and the problem."""


def _check_template(text: object, where: str) -> str:
    if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_TEXT:
        raise ScriptError(f"{where}: the text must be 1-{MAX_TEXT} characters")
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        raise ScriptError(f"{where}: {error}") from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            raise ScriptError(f"{where}: unknown placeholder {{{name}}}; allowed: {allowed}")
    return text.strip()


@dataclass(frozen=True, slots=True)
class ScriptQuestion:
    """One mandatory question."""

    id: str
    """Stable name (``identity_and_role``), recorded with the answer."""
    text: str
    """Template shown on the phone and read out by the teller."""
    expected: bool = True
    """The answer that supports opening the account."""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _QUESTION_ID.fullmatch(self.id):
            raise ScriptError(
                f"question id {self.id!r} must be 1-64 of a-z, 0-9 and '_', starting with a letter"
            )
        object.__setattr__(self, "text", _check_template(self.text, f"question {self.id}"))
        if not isinstance(self.expected, bool):
            raise ScriptError(f"question {self.id}: expected must be true or false")

    def render(self, values: Mapping[str, str]) -> str:
        """The text with its placeholders filled in."""
        return self.text.format_map(dict(values))


@dataclass(frozen=True, slots=True)
class WillingnessScript:
    """The questions in order and the final confirmation."""

    questions: tuple[ScriptQuestion, ...]
    final_confirmation: str
    """Template of the statement the customer confirms at the end."""

    def __post_init__(self) -> None:
        if not 0 < len(self.questions) <= MAX_QUESTIONS:
            raise ScriptError(f"a script has 1-{MAX_QUESTIONS} questions")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ScriptError("question ids must be unique")
        object.__setattr__(
            self, "final_confirmation", _check_template(self.final_confirmation, "final_confirmation")
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WillingnessScript:
        """Build from parsed TOML or JSON (``questions`` list and ``final_confirmation``)."""
        unknown = set(data) - {"questions", "final_confirmation"}
        if unknown:
            raise ScriptError(f"unknown keys: {', '.join(sorted(unknown))}")
        raw = data.get("questions")
        if not isinstance(raw, list):
            raise ScriptError("questions must be a list")
        questions = []
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, Mapping) or set(item) - {"id", "text", "expected"}:
                raise ScriptError(f"question {index}: give id, text and optionally expected")
            questions.append(ScriptQuestion(item.get("id"), item.get("text"), item.get("expected", True)))  # type: ignore[arg-type]
        return cls(tuple(questions), data.get("final_confirmation"))  # type: ignore[arg-type]


def load_script(path: Path) -> WillingnessScript:
    """Read a script from a TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ScriptError(f"cannot read the willingness script {path}: {error}") from None
    return WillingnessScript.from_mapping(data)


DEFAULT_SCRIPT = WillingnessScript(
    (
        ScriptQuestion(
            "identity_and_role",
            "Are you {representative}, the legal representative of {company}?",
        ),
        ScriptQuestion(
            "knows_and_agrees",
            "Do you know that {company} is applying to open a {account_type} account with our bank,"
            " and do you agree to it?",
        ),
        ScriptQuestion(
            "documents_truthful",
            "Are all the documents and information submitted for this application true, complete and valid?",
        ),
        ScriptQuestion(
            "renting_lending_illegal",
            "Do you understand that renting out, lending, selling or buying a bank account is illegal"
            " and may lead to criminal liability?",
        ),
        ScriptQuestion(
            "operator",
            "Will the account be operated only by you or by staff {company} has authorised in writing?",
        ),
        ScriptQuestion(
            "own_free_will",
            "Are you opening this account of your own free will, without anyone asking you to do it"
            " for them?",
        ),
    ),
    "I confirm that my answers are true and that I want {company} to open this {account_type} account.",
)
"""The shipped script: identity and role, knowledge of and agreement to the opening, truthful
documents, the illegality of renting or lending accounts, who operates the account, free will."""
