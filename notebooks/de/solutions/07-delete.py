# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
client.delete_user(leaver)
try:
    print(mask_token(client.get_token(leaver, ["chat"]).token))
except HttpResponseError as error:
    print(error.status_code, error.error.code)
exercises.check("07-delete", lab_client, identity=leaver)
