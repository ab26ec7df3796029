"""The flows' pure modules (the state machines, their vocabulary, the wire forms) import no adapter:
only the executor runs commands against core banking, awaits, and writes the log (docs/flows.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "video_bank" / "flows"
ADAPTERS = frozenset(
    {
        "asyncio",
        "sqlite3",
        "aiohttp",
        "video_bank.flows.executor",
        "video_bank.core_banking.store",
        "video_bank.storage",
    }
)
"""Modules only the executor (the async edge of a flow) may import."""
EDGES = frozenset({"executor.py", "__init__.py"})


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (top-level or inside a function)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_the_check_sees_the_executors_own_imports() -> None:
    """Guards the test below: the executor is the edge, and the check sees what it imports."""
    assert {"asyncio", "video_bank.core_banking.store"} <= imported(FLOWS / "executor.py")


@pytest.mark.parametrize("module", sorted(p.name for p in FLOWS.glob("*.py") if p.name not in EDGES))
def test_a_pure_flow_module_imports_neither_the_executor_nor_an_adapter(module: str) -> None:
    assert imported(FLOWS / module) & ADAPTERS == set()
