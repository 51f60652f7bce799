"""Notebook 08's comparison with the docs' console output: format, line by line."""

from __future__ import annotations

import contextlib
import io

from helpers import quickstart_output as qo
from helpers.tokens import mask_token

DOCS_LIKE_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJza3lwZWlkIjoiYWNzIn0.c2lnbmF0dXJl"


def run_quickstart(client) -> str:
    """The quickstart's program, as notebook 08 runs it, with its output captured."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print("Azure Communication Services - Access Tokens Quickstart")
        identity = client.create_user()
        print("\nCreated an identity with ID: " + identity.properties["id"])
        token_result = client.get_token(identity, ["voip"])
        print(
            "\nIssued an access token with 'voip' scope that expires at "
            + token_result.expires_on
            + ":"
        )
        print(mask_token(token_result.token))
        second, token = client.create_user_and_token(["voip"])
        print("\nCreated an identity with ID: " + second.properties["id"])
        print(
            "\nIssued an access token with 'voip' scope that expires at " + token.expires_on + ":"
        )
        print(token.token)  # whole, as the docs print it
        client.revoke_tokens(identity)
        print(
            "\nSuccessfully revoked all access tokens for identity with ID: "
            + identity.properties["id"]
        )
        client.delete_user(identity)
        print("\nDeleted the identity with ID: " + identity.properties["id"])
    return out.getvalue()


def test_a_real_run_against_the_local_service_has_the_docs_format(client):
    report = qo.compare_with_docs(run_quickstart(client))
    assert report.ok, str(report)
    assert len(report.lines) == len(qo.DOCS_OUTPUT) == len(qo.LINE_SHAPES) == 15
    assert str(report).splitlines()[0] == "✓ Every line has the format of the docs' output."


def test_the_docs_own_lines_have_the_docs_format():
    docs = [line.replace(qo._DOCS_TOKEN, DOCS_LIKE_TOKEN) for line in qo.DOCS_OUTPUT]
    assert qo.compare_with_docs("\n".join(docs) + "\n").ok


def test_the_docs_show_two_identities_then_revoke_and_delete_the_first():
    created = [line for line in qo.DOCS_OUTPUT if line.startswith("Created an identity")]
    assert len(created) == 2
    first_id = created[0].rsplit(" ", 1)[1]
    assert qo.DOCS_OUTPUT[-3].endswith(first_id) and qo.DOCS_OUTPUT[-1].endswith(first_id)


def test_a_run_without_the_second_identity_is_flagged_line_by_line(client):
    lines = run_quickstart(client).split("\n")
    del lines[6:11]  # the second identity and its token
    report = qo.compare_with_docs("\n".join(lines))
    assert not report.ok
    assert report.summary.startswith("✗ ")
    text = str(report)
    assert "yours: (no line)" in text
    assert "✓  1  docs: Azure Communication Services - Access Tokens Quickstart" in text


def test_an_exception_instead_of_output_is_flagged():
    printed = "Azure Communication Services - Access Tokens Quickstart\nException:\nboom\n"
    report = qo.compare_with_docs(printed)
    assert not report.ok
    assert [line.ok for line in report.lines[:3]] == [True, False, False]


def test_values_do_not_matter_but_the_wording_does():
    docs = [line.replace(qo._DOCS_TOKEN, DOCS_LIKE_TOKEN) for line in qo.DOCS_OUTPUT]
    other_values = [
        line.replace("4ccc92c8", "0aaa92c8").replace("2022-10-11", "2031-01-02") for line in docs
    ]
    assert qo.compare_with_docs("\n".join(other_values)).ok
    reworded = [line.replace("Deleted the identity", "Removed the identity") for line in docs]
    report = qo.compare_with_docs("\n".join(reworded))
    assert [line.number for line in report.lines if not line.ok] == [15]


def test_empty_output_lists_every_missing_line():
    report = qo.compare_with_docs("")
    assert not report.ok and all(line.yours is None for line in report.lines)
