"""Each exercise checker against the real local service: ✗ before, ✓ after, a hint when wrong.

`admin=None` with a plain SDK client is the Azure path (no introspection or listing): those
tests prove what the checkers can still tell from the SDK and the token's own claims.
"""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from helpers import exercises
from helpers.lessons import WITH_PRACTICE

AZURE = None  # no admin client: what a checker sees on Azure


def one_line(check: exercises.Check, ok: bool) -> str:
    assert check.ok is ok, check.line
    assert "\n" not in check.line
    assert check.line.startswith("✓ " if ok else "✗ ")
    return check.line


@pytest.fixture
def identity(client):
    return client.create_user()


def test_every_lesson_02_to_07_and_10_has_an_exercise():
    lessons = {exercise_id[:2] for exercise_id in exercises.EXERCISES}
    assert lessons == set(WITH_PRACTICE)
    assert {"03-scopes", "03-expiry"} <= set(exercises.EXERCISES)


def test_an_unknown_exercise_id_is_a_clear_error(client):
    with pytest.raises(KeyError, match="no exercise 'nope'"):
        exercises.grade("nope", client)


@pytest.mark.parametrize("exercise_id", exercises.EXERCISES)
def test_every_checker_says_not_yet_for_the_untouched_placeholder(client, admin, exercise_id):
    # The exercise cells start as `my_answer = ...`: every answer is Ellipsis.
    answers = {"identity": ..., "token": ..., "refresher": ..., "old_token": ...}
    names = inspect.signature(exercises._GRADERS[exercise_id]).parameters
    given = {name: answers[name] for name in names if name in answers}
    line = one_line(exercises.grade(exercise_id, client, admin=admin, **given), ok=False)
    assert "Nothing to check yet" in line


def test_check_prints_exactly_one_line(client, admin, capsys, monkeypatch):
    monkeypatch.setattr(exercises, "_admin_of", lambda _client: admin)
    exercises.begin("02-create", client)
    identity = client.create_user()
    capsys.readouterr()
    exercises.check("02-create", client, identity=identity)
    assert capsys.readouterr().out == "✓ The service lists your new identity.\n"


# --------------------------------------------------------------------------- 02


@pytest.fixture(autouse=True)
def fresh_start():
    """Every test starts with no exercise begun, as a new kernel does."""
    exercises._STARTED.clear()
    yield
    exercises._STARTED.clear()


def begin(exercise_id, client, admin, **given):
    exercises.begin(exercise_id, client, admin=admin, **given)


def test_begin_prints_one_line(client, admin, capsys):
    begin("02-create", client, admin)
    assert capsys.readouterr().out.count("\n") == 1


def test_without_begin_the_check_says_to_run_it(client, admin, identity):
    line = one_line(exercises.grade("02-create", client, admin=admin, identity=identity), False)
    assert "exercises.begin" in line


def test_02_an_identity_made_after_begin_passes(client, admin):
    begin("02-create", client, admin)
    mine = client.create_user()
    one_line(exercises.grade("02-create", client, admin=admin, identity=mine), ok=True)


@pytest.mark.parametrize("backend", ["local", "azure"])
def test_02_the_lessons_earlier_identity_fails(client, admin, backend, monkeypatch):
    # `my_identity = identity`: the lesson's identity, made before the exercise began. On Azure
    # the notebook's variables are the record of what existed.
    which = admin if backend == "local" else AZURE
    identity = client.create_user()
    monkeypatch.setattr(exercises, "_namespace_ids", lambda: {identity.properties["id"]})
    begin("02-create", client, which)
    line = one_line(exercises.grade("02-create", client, admin=which, identity=identity), False)
    assert "existed before the exercise began" in line


def test_02_an_earlier_identity_not_in_a_variable_fails_on_the_local_service(client, admin):
    earlier = client.create_user().properties["id"]  # e.g. an id copied from a form
    begin("02-create", client, admin)
    line = one_line(exercises.grade("02-create", client, admin=admin, identity=earlier), False)
    assert "existed before" in line


def test_02_a_deleted_identity_fails(client, admin):
    begin("02-create", client, admin)
    identity = client.create_user()
    client.delete_user(identity)
    line = one_line(exercises.grade("02-create", client, admin=admin, identity=identity), False)
    assert "deleted" in line


def test_02_a_made_up_id_fails(client, admin):
    begin("02-create", client, admin)
    made_up = "8:acs:" + admin.health()["resourceId"] + "_0000"
    line = one_line(exercises.grade("02-create", client, admin=admin, identity=made_up), False)
    assert "no identity with that id" in line


def test_02_on_azure_the_identity_is_proven_by_a_token(client):
    begin("02-create", client, AZURE)
    identity = client.create_user()
    one_line(exercises.grade("02-create", client, admin=AZURE, identity=identity), ok=True)


# --------------------------------------------------------------------------- 03


def test_03_scopes_right_and_wrong(client, admin, identity):
    right = client.get_token(identity, ["chat", "voip.join"])
    wrong = client.get_token(identity, ["chat", "voip"])
    grade = exercises.grade
    one_line(grade("03-scopes", client, admin=admin, identity=identity, token=right), ok=True)
    line = one_line(grade("03-scopes", client, admin=admin, identity=identity, token=wrong), False)
    assert "chat, voip" in line and "voip.join" in line


def test_03_scopes_token_of_another_identity_fails(client, admin, identity):
    other = client.create_user()
    token = client.get_token(other, ["chat", "voip.join"])
    line = one_line(
        exercises.grade("03-scopes", client, admin=admin, identity=identity, token=token), False
    )
    assert "different identity" in line


def test_03_expiry_needs_chat_for_90_minutes(client, admin, identity):
    ninety = client.get_token(identity, ["chat"], token_expires_in=timedelta(minutes=90))
    default = client.get_token(identity, ["chat"])
    grade = exercises.grade
    one_line(grade("03-expiry", client, admin=admin, identity=identity, token=ninety), ok=True)
    line = one_line(
        grade("03-expiry", client, admin=admin, identity=identity, token=default), ok=False
    )
    assert "1440 minutes" in line and "timedelta(minutes=90)" in line


def test_03_expiry_on_azure_reads_the_tokens_claims(client, identity):
    ninety = client.get_token(identity, ["chat"], token_expires_in=timedelta(minutes=90))
    one_line(
        exercises.grade("03-expiry", client, admin=AZURE, identity=identity, token=ninety), True
    )


def test_03_a_revoked_token_fails_with_a_hint(client, admin, identity):
    token = client.get_token(identity, ["chat"], token_expires_in=timedelta(minutes=90))
    client.revoke_tokens(identity)
    line = one_line(
        exercises.grade("03-expiry", client, admin=admin, identity=identity, token=token), False
    )
    assert "revoked" in line


def test_03_the_lessons_earlier_token_fails(client, admin, identity):
    # `my_token = token_result`: the lesson's token for its own identity, not for `learner`.
    lesson_identity = client.create_user()
    token_result = client.get_token(lesson_identity, ["chat", "voip.join"])
    for exercise_id in ("03-scopes", "03-expiry"):
        line = one_line(
            exercises.grade(
                exercise_id, client, admin=admin, identity=identity, token=token_result
            ),
            ok=False,
        )
        assert "different identity" in line


def test_03_the_first_exercises_token_fails_the_second(client, admin, identity):
    # `my_chat_token = my_token`: chat and voip.join, 24 hours.
    my_token = client.get_token(identity, ["chat", "voip.join"])
    line = one_line(
        exercises.grade("03-expiry", client, admin=admin, identity=identity, token=my_token), False
    )
    assert "chat and nothing else" in line


def test_03_text_that_is_not_a_token_fails(client, admin, identity):
    line = one_line(
        exercises.grade("03-expiry", client, admin=admin, identity=identity, token="hello"), False
    )
    assert "not an access token" in line


# --------------------------------------------------------------------------- 04


def test_04_one_request_passes(client, admin):
    begin("04-together", client, admin)
    user, token = client.create_user_and_token(
        ["chat", "voip"], token_expires_in=timedelta(hours=2)
    )
    one_line(exercises.grade("04-together", client, admin=admin, identity=user, token=token), True)


def test_04_a_pair_made_before_the_exercise_fails(client, admin):
    # `my_identity, my_token = identity_2, token_2`, had the lesson made a fitting pair earlier.
    user, token = client.create_user_and_token(
        ["chat", "voip"], token_expires_in=timedelta(hours=2)
    )
    begin("04-together", client, admin)
    line = one_line(
        exercises.grade("04-together", client, admin=admin, identity=user, token=token), False
    )
    assert "existed before the exercise began" in line


def test_04_two_requests_fail(client, admin):
    begin("04-together", client, admin)
    user = client.create_user()
    token = client.get_token(user, ["chat", "voip"], token_expires_in=timedelta(hours=2))
    line = one_line(
        exercises.grade("04-together", client, admin=admin, identity=user, token=token), False
    )
    assert "create_user_and_token" in line


def test_04_wrong_lifetime_fails(client, admin):
    begin("04-together", client, admin)
    user, token = client.create_user_and_token(["chat", "voip"])
    line = one_line(
        exercises.grade("04-together", client, admin=admin, identity=user, token=token), False
    )
    assert "1440 minutes" in line


# --------------------------------------------------------------------------- 05


def test_05_a_refresher_that_asks_the_service_passes(client, admin, identity):
    def fetch_token():
        return client.get_token(identity, ["chat"])

    one_line(
        exercises.grade(
            "05-refresher", client, admin=admin, identity=identity, refresher=fetch_token
        ),
        ok=True,
    )


def test_05_a_refresher_that_returns_a_cached_token_fails(client, admin, identity):
    cached = client.get_token(identity, ["chat"])
    line = one_line(
        exercises.grade(
            "05-refresher", client, admin=admin, identity=identity, refresher=lambda: cached
        ),
        ok=False,
    )
    assert "same token twice" in line


def test_05_a_refresher_that_returns_nothing_fails(client, admin, identity):
    def fetch_token():
        pass

    line = one_line(
        exercises.grade(
            "05-refresher", client, admin=admin, identity=identity, refresher=fetch_token
        ),
        ok=False,
    )
    assert "client.get_token" in line


def test_05_a_refresher_that_raises_gives_one_line(client, admin, identity):
    def fetch_token():
        return client.get_token(identity, [])  # the service refuses: no scope

    line = one_line(
        exercises.grade(
            "05-refresher", client, admin=admin, identity=identity, refresher=fetch_token
        ),
        ok=False,
    )
    assert "Scopes field is required" in line


# --------------------------------------------------------------------------- 06


@pytest.fixture
def member(client, admin):
    """The exercise's setup cell: a member with a token, then `exercises.begin`."""
    member, member_token = client.create_user_and_token(["voip"])
    begin("06-revoke", client, admin, identity=member, token=member_token)
    return member, member_token


def grade_06(client, admin, identity, old_token):
    return exercises.grade("06-revoke", client, admin=admin, identity=identity, old_token=old_token)


def test_06_revoking_passes_and_keeps_the_identity(client, admin, member):
    identity, old = member
    line = one_line(grade_06(client, admin, identity, old), ok=False)
    assert "revoke_tokens" in line
    client.revoke_tokens(identity)
    one_line(grade_06(client, admin, identity, old), ok=True)


def test_06_the_lessons_earlier_revoked_identity_fails(client, admin, member):
    # `member, member_token = identity, token_result`: revoked earlier in the lesson.
    identity, token_result = client.create_user_and_token(["voip"])
    client.revoke_tokens(identity)
    line = one_line(grade_06(client, admin, identity, token_result), ok=False)
    assert "not the exercise's member" in line


def test_06_another_token_of_the_member_fails(client, admin, member):
    # A token issued after the revocation, or before it by someone else: not member_token.
    identity, _old = member
    client.revoke_tokens(identity)
    other = client.get_token(identity, ["voip"])
    line = one_line(grade_06(client, admin, identity, other), ok=False)
    assert "member_token" in line


def test_06_deleting_instead_of_revoking_fails(client, admin, member):
    identity, old = member
    client.delete_user(identity)
    line = one_line(grade_06(client, admin, identity, old), ok=False)
    assert "deleted" in line and "revoke_tokens" in line


def test_06_on_azure_says_it_cannot_tell(client):
    identity, old = client.create_user_and_token(["voip"])
    begin("06-revoke", client, AZURE, identity=identity, token=old)
    client.revoke_tokens(identity)
    line = one_line(grade_06(client, AZURE, identity, old), ok=False)
    assert "local service" in line


# --------------------------------------------------------------------------- 07


@pytest.fixture
def leaver(client, admin):
    """The exercise's setup cell: `leaver = client.create_user()`, then `exercises.begin`."""
    leaver = client.create_user()
    begin("07-delete", client, admin, identity=leaver)
    return leaver


@pytest.mark.parametrize("backend", ["local", "azure"])
def test_07_deleted_identity_cannot_get_tokens(client, admin, leaver, backend):
    which = admin if backend == "local" else AZURE
    line = one_line(exercises.grade("07-delete", client, admin=which, identity=leaver), False)
    assert "delete" in line
    client.delete_user(leaver)
    one_line(exercises.grade("07-delete", client, admin=which, identity=leaver), ok=True)


def test_07_accepts_an_id_string(client, admin, leaver):
    client.delete_user(leaver)
    raw = leaver.properties["id"]
    one_line(exercises.grade("07-delete", client, admin=admin, identity=raw), ok=True)


@pytest.mark.parametrize("backend", ["local", "azure"])
def test_07_an_id_that_never_existed_fails(client, admin, leaver, backend):
    # `leaver = "8:acs:not-a-real-identity"`: the service refuses it too, but nothing was deleted.
    which = admin if backend == "local" else AZURE
    for made_up in ("8:acs:not-a-real-identity", leaver.properties["id"] + "0"):
        line = one_line(
            exercises.grade("07-delete", client, admin=which, identity=made_up), ok=False
        )
        assert "not the exercise's leaver" in line


def test_07_the_lessons_earlier_deleted_identity_fails(client, admin, leaver):
    # `leaver = identity`: deleted earlier in the lesson, not in the exercise.
    identity = client.create_user()
    client.delete_user(identity)
    line = one_line(exercises.grade("07-delete", client, admin=admin, identity=identity), False)
    assert "not the exercise's leaver" in line


def test_07_revoking_instead_of_deleting_fails(client, admin, leaver):
    client.revoke_tokens(leaver)
    line = one_line(exercises.grade("07-delete", client, admin=admin, identity=leaver), False)
    assert "still exists" in line


# --------------------------------------------------------------------------- 10

TEAMS_APP = "2c3e1e83-8fd7-4615-ad2b-b8c1229845ac"
MEGAN = "5b9f2e8a-3c1d-4e7f-8a6b-9d0c1e2f3a4b"


@pytest.fixture
def megan_entra_token(emu):
    from helpers.emulator.entra import LocalEntraID

    return LocalEntraID.from_state(emu.state_dir).teams_user_token(MEGAN, TEAMS_APP)


def test_10_megans_exchanged_token_passes(client, admin, megan_entra_token):
    token = client.get_token_for_teams_user(megan_entra_token, TEAMS_APP, MEGAN)
    check = exercises.grade("10-teams", client, admin=admin, token=token, user_object_id=MEGAN)
    assert (
        one_line(check, ok=True) == "✓ The service issued an ACS access token to that Teams user."
    )


def test_10_on_azure_the_tokens_claims_name_the_teams_user(client, megan_entra_token):
    token = client.get_token_for_teams_user(megan_entra_token, TEAMS_APP, MEGAN)
    one_line(
        exercises.grade("10-teams", client, admin=AZURE, token=token, user_object_id=MEGAN), ok=True
    )


def test_10_the_entra_token_itself_is_not_the_answer(client, admin, megan_entra_token):
    line = one_line(
        exercises.grade(
            "10-teams", client, admin=admin, token=megan_entra_token, user_object_id=MEGAN
        ),
        ok=False,
    )
    assert "still the Teams user's Entra ID token" in line


def test_10_an_acs_identitys_token_fails(client, admin, identity):
    token = client.get_token(identity, ["voip"])
    line = one_line(
        exercises.grade("10-teams", client, admin=admin, token=token, user_object_id=MEGAN),
        ok=False,
    )
    assert "belongs to an ACS identity" in line


def test_10_another_teams_users_token_fails(client, admin, emu):
    from helpers.emulator.entra import LocalEntraID

    alex = "32c0a5db-05ec-78ea-51ab-3f06b329397e"
    entra_token = LocalEntraID.from_state(emu.state_dir).teams_user_token(alex, TEAMS_APP)
    token = client.get_token_for_teams_user(entra_token, TEAMS_APP, alex)
    line = one_line(
        exercises.grade("10-teams", client, admin=admin, token=token, user_object_id=MEGAN),
        ok=False,
    )
    assert "another Teams user" in line


# --------------------------------------------------------------------------- 03-chat


@pytest.fixture
def chat_as(client, emu, monkeypatch):
    """A chat client signed in as an identity, trusting the local CA as connect() makes it."""
    from azure.communication.chat import ChatClient, CommunicationTokenCredential

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)

    def sign_in(identity):
        token = client.get_token(identity, ["chat"]).token
        return ChatClient(emu.endpoint, CommunicationTokenCredential(token))

    return sign_in


def test_03_chat_a_message_from_learner_in_its_thread_passes(client, admin, identity, chat_as):
    thread_id = chat_as(identity).create_chat_thread("Mine").chat_thread.id
    chat_as(identity).get_chat_thread_client(thread_id).send_message("Hello")
    line = one_line(
        exercises.grade("03-chat", client, admin=admin, identity=identity, thread=thread_id),
        ok=True,
    )
    assert "sent a message" in line


def test_03_chat_wrong_answers_fail(client, admin, identity, chat_as):
    from azure.communication.chat import ChatParticipant

    def grade(thread):
        return exercises.grade("03-chat", client, admin=admin, identity=identity, thread=thread)

    assert "Nothing to check yet" in one_line(grade(...), ok=False)
    assert "not a thread id" in one_line(grade(42), ok=False)
    # A thread the learner is not in (the lesson's alice made it): the chat service says 403.
    alice = client.create_user()
    alices = chat_as(alice).create_chat_thread("Alice's").chat_thread.id
    chat_as(alice).get_chat_thread_client(alices).send_message("Hi")
    assert "not in that thread" in one_line(grade(alices), ok=False)
    # A thread with learner in it, but only someone else wrote: no message from learner.
    shared = (
        chat_as(alice)
        .create_chat_thread("Shared", thread_participants=[ChatParticipant(identifier=identity)])
        .chat_thread.id
    )
    chat_as(alice).get_chat_thread_client(shared).send_message("Hi learner")
    assert "no message from learner" in one_line(grade(shared), ok=False)
    # Learner's own thread, created but silent.
    silent = chat_as(identity).create_chat_thread("Silent").chat_thread.id
    assert "no message from learner" in one_line(grade(silent), ok=False)
    # A thread id that does not exist.
    assert "not in that thread" in one_line(grade("19:nope@thread.v2"), ok=False)
