# A worked answer: run this cell again (Shift+Enter) to run it and its check.
my_chat_token = client.get_token(learner, ["chat"], token_expires_in=timedelta(minutes=90))
exercises.check("03-expiry", lab_client, identity=learner, token=my_chat_token)
