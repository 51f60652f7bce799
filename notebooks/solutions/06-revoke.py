# A worked answer: run this cell again (Shift+Enter) to run it and its check.
client.revoke_tokens(member)
print(check_token(lab_client, member_token.token).status)
exercises.check("06-revoke", lab_client, identity=member, old_token=member_token)
