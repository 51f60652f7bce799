# A worked answer: run this cell again (Shift+Enter) to run it and its check.
my_identity = client.create_user()
exercises.check("02-create", lab_client, identity=my_identity)
