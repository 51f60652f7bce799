# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
my_identity = client.create_user()
exercises.check("02-create", lab_client, identity=my_identity)
