# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
def fetch_token():
    return client.get_token(learner, ["chat"])


exercises.check("05-refresher", lab_client, identity=learner, refresher=fetch_token)
