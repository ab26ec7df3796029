"""Every code the server can send a page, collected from the Python source (not from a list kept by
hand): the pages must have a sentence in each language for each (web_client/shared/error-texts.js).

- error codes: the ``code`` of every :class:`~signaling.errors.SignalingError` and auditing API
  error class, plus every code literal handed to the functions that refuse or fail — flow refusals
  (``turn.refuse``, ``Refusal``), core-banking rules (``_conflict``, ``_text``, ``_enum``,
  ``PinRuleError``…), ``ErrorMessage(...)``, ``CommandFailed(code=...)`` — and the verification
  desk's refusal reasons (``_refuse``, ``ReviewRefused``);
- flow messages: :data:`video_bank.flows.outputs.MESSAGE_CODES`, which every message is checked
  against when it is made.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

from tests.support.faces import REPO_ROOT

PACKAGES = ("signaling", "video_bank", "verification")
NOT_CODE_LITERALS = ("video_bank/auditing",)
"""Folders whose calls of the names below take a message, not a code (their classes carry the code)."""
CODE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")

CODE_ARGUMENT = {
    "refuse": 0,
    "Refusal": 0,
    "ErrorMessage": 0,
    "_conflict": 0,
    "PinRuleError": 0,
    "InvalidDataError": 0,
    "NotFoundError": 0,
    "ConflictError": 0,
    "CoreBankingError": 0,
    "_text": 1,
    "_enum": 2,
    "_refuse": 1,
    "ReviewRefused": 0,
}
"""Function or class name → position of its code argument."""
CODE_KEYWORDS = ("code",)
"""Keyword arguments that carry a code (e.g. ``CommandFailed(code="server_error")``)."""


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr) -> str | None:
    """A code literal (snake_case), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return node.value
    return None


def _source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if not path.relative_to(REPO_ROOT).as_posix().startswith(NOT_CODE_LITERALS):
                yield path


def literal_codes() -> set[str]:
    """Codes passed as literals to the refusing and failing calls (see :data:`CODE_ARGUMENT`)."""
    codes: set[str] = set()
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            position = CODE_ARGUMENT.get(name or "")
            if position is not None and len(node.args) > position:
                code = _literal(node.args[position])
                if code is not None:
                    codes.add(code)
            for keyword in node.keywords:
                if keyword.arg in CODE_KEYWORDS:
                    code = _literal(keyword.value)
                    if code is not None:
                        codes.add(code)
    return codes


def class_codes() -> set[str]:
    """The ``code`` of every error class the server answers with (signaling and the auditor API)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".synth" not in info.name and not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    from signaling.errors import SignalingError
    from video_bank.auditing.errors import AuditError

    codes: set[str] = set()
    pending: list[type] = [SignalingError, AuditError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        code = cls.__dict__.get("code")
        if isinstance(code, str):
            codes.add(code)
    return codes


def error_codes() -> set[str]:
    """Every error code a page can be sent."""
    return class_codes() | literal_codes()


def flow_message_codes() -> dict[str, set[str]]:
    """Every ``flow_message`` code, per audience (``customer``, ``teller``)."""
    from video_bank.flows.outputs import MESSAGE_CODES

    return {audience.value: set(codes) for audience, codes in MESSAGE_CODES.items()}
