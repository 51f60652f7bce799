# A worked answer: run this cell again (Shift+Enter) to run it and its check.
def fetch_token():
    return client.get_token(learner, ["chat"])


exercises.check("05-refresher", lab_client, identity=learner, refresher=fetch_token)
