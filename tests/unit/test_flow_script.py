"""The willingness script: the shipped default, validation, and loading a bank's own script."""

from __future__ import annotations

from pathlib import Path

import pytest

from video_bank.flows.script import (
    DEFAULT_SCRIPT,
    ScriptError,
    ScriptQuestion,
    WillingnessScript,
    load_script,
)

VALUES = {"company": "Helan Trading", "representative": "Liu Min", "account_type": "basic deposit"}


def test_the_default_script_covers_the_mandatory_topics_and_renders() -> None:
    ids = [q.id for q in DEFAULT_SCRIPT.questions]
    assert ids == [
        "identity_and_role",
        "knows_and_agrees",
        "documents_truthful",
        "renting_lending_illegal",
        "operator",
        "own_free_will",
    ]
    rendered = [q.render(VALUES) for q in DEFAULT_SCRIPT.questions]
    assert "Liu Min" in rendered[0] and "Helan Trading" in rendered[0]
    assert all("{" not in text for text in rendered)
    assert all(q.expected for q in DEFAULT_SCRIPT.questions)


def test_a_script_loads_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "script.toml"
    path.write_text(
        'final_confirmation = "I confirm for {company}."\n'
        "[[questions]]\n"
        'id = "role"\n'
        'text = "Are you {representative}?"\n'
        "[[questions]]\n"
        'id = "paid"\n'
        'text = "Were you paid to open it?"\n'
        "expected = false\n",
        encoding="utf-8",
    )
    script = load_script(path)
    assert [(q.id, q.expected) for q in script.questions] == [("role", True), ("paid", False)]
    assert script.final_confirmation == "I confirm for {company}."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Are you {name}?", "unknown placeholder"),
        ("Are you {company.__class__}?", "unknown placeholder"),
        ("Are you {company!r}?", "unknown placeholder"),
        ("Are you {company:>40}?", "unknown placeholder"),
        ("Are you {?", "question q"),
        ("", "1-400 characters"),
    ],
)
def test_question_texts_may_only_use_the_known_placeholders(text: str, problem: str) -> None:
    with pytest.raises(ScriptError, match=problem):
        ScriptQuestion("q", text)


def test_scripts_need_unique_well_formed_ids_and_at_least_one_question() -> None:
    with pytest.raises(ScriptError, match="unique"):
        WillingnessScript((ScriptQuestion("a", "A?"), ScriptQuestion("a", "B?")), "ok")
    with pytest.raises(ScriptError, match="1-20 questions"):
        WillingnessScript((), "ok")
    with pytest.raises(ScriptError, match="question id"):
        ScriptQuestion("Bad Id", "A?")
    with pytest.raises(ScriptError, match="expected"):
        ScriptQuestion("a", "A?", expected="yes")  # type: ignore[arg-type]


def test_malformed_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("questions = [", encoding="utf-8")
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(bad)
    with pytest.raises(ScriptError, match="cannot read"):
        load_script(tmp_path / "missing.toml")
    with pytest.raises(ScriptError, match="unknown keys"):
        WillingnessScript.from_mapping({"questions": [], "extra": 1})
    with pytest.raises(ScriptError, match="give id, text"):
        WillingnessScript.from_mapping(
            {"questions": [{"id": "a", "text": "A?", "weight": 2}], "final_confirmation": "x"}
        )
