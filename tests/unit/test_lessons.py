"""helpers.lessons, the one list of lessons, says what notebooks/ holds: no more, no less."""

import json
import re

import pytest

from helpers import exercises, lessons, quiz


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("language", sorted(lessons.EDITIONS))
def test_the_list_is_exactly_the_numbered_notebooks_of_each_edition(language):
    folder = lessons.NOTEBOOKS / lessons.EDITIONS[language]
    numbered = sorted(p.name for p in folder.glob("*.ipynb") if re.match(r"\d\d-", p.name))
    assert numbered == [entry.file_name for entry in lessons.LESSONS]
    others = sorted(p.name for p in folder.glob("*.ipynb") if not re.match(r"\d\d-", p.name))
    assert others == sorted(lessons.OTHER_NOTEBOOKS)
    assert all(entry.path(language).is_file() for entry in lessons.LESSONS)


def test_numbers_are_two_digits_in_order_without_gaps():
    assert [entry.number for entry in lessons.LESSONS] == [
        f"{i:02d}" for i in range(len(lessons.LESSONS))
    ]


@pytest.mark.parametrize("entry", lessons.LESSONS, ids=lambda e: e.stem)
def test_practice_is_what_the_notebook_holds(entry):
    for language in lessons.EDITIONS:
        cells = json.loads(entry.path(language).read_text(encoding="utf-8"))["cells"]
        has_quiz = any("quiz" in tags(c) for c in cells)
        has_exercise = any("exercise" in tags(c) for c in cells)
        assert has_quiz == has_exercise == entry.practice, (language, entry.stem)


def test_quizzes_and_exercises_exist_for_exactly_the_practice_lessons():
    assert tuple(quiz.QUIZZES) == lessons.WITH_PRACTICE
    assert tuple(dict.fromkeys(e[:2] for e in exercises.EXERCISES)) == lessons.WITH_PRACTICE


def test_an_unknown_lesson_is_a_clear_error():
    assert lessons.lesson("03").file_name == "03-issue-an-access-token.ipynb"
    assert lessons.lesson("12").file_name == "12-token-service-and-client.ipynb"
    with pytest.raises(KeyError, match="no lesson '13'; known: 00, 01.*, 12"):
        lessons.lesson("13")


def test_every_quiz_lives_in_its_lessons_module_and_its_ids_carry_the_number():
    for number, questions in quiz.QUIZZES.items():
        assert questions, number
        assert all(q.id.startswith(f"{number}-") for q in questions), number
        assert all(type(q).__module__ == "helpers.quiz.model" for q in questions)


def test_quiz_sources_on_the_rest_reference_use_its_identity_path():
    # learn.microsoft.com/en-us/rest/api/communication/identity/communication-identity/...
    # (the operation pages); the path without /identity/ is the old one.
    rest = [q.source for qs in quiz.QUIZZES.values() for q in qs if "/rest/api/" in q.source]
    assert rest, "lesson 10's lifetime question cites the REST reference"
    for url in rest:
        assert url.startswith(
            "https://learn.microsoft.com/en-us/rest/api/communication/identity/communication-identity/"
        ), url
