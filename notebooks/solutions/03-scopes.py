# A worked answer: run this cell again (Shift+Enter) to run it and its check.
my_token = client.get_token(learner, ["chat", "voip.join"])
exercises.check("03-scopes", lab_client, identity=learner, token=my_token)
