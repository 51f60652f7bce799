# Eine Musterlösung: Führen Sie diese Zelle noch einmal aus (Umschalt+Eingabe), um sie
# samt Prüfung auszuführen.
client.revoke_tokens(member)
print(check_token(lab_client, member_token.token).status)
exercises.check("06-revoke", lab_client, identity=member, old_token=member_token)
