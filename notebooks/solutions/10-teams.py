# A worked answer: run this cell again (Shift+Enter) to run it and its check.
megan_token = client.get_token_for_teams_user(megan["access_token"], client_id, megan_object_id)
exercises.check("10-teams", lab_client, token=megan_token, user_object_id=megan_object_id)
