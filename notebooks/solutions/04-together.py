# A worked answer: run this cell again (Shift+Enter) to run it and its check.
my_identity, my_token = client.create_user_and_token(
    ["chat", "voip"], token_expires_in=timedelta(hours=2)
)
exercises.check("04-together", lab_client, identity=my_identity, token=my_token)
