# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
my_chat_token = client.get_token(learner, ["chat"], token_expires_in=timedelta(minutes=90))
exercises.check("03-expiry", lab_client, identity=learner, token=my_chat_token)
