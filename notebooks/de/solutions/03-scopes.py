# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
my_token = client.get_token(learner, ["chat", "voip.join"])
exercises.check("03-scopes", lab_client, identity=learner, token=my_token)
