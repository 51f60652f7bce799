# A worked answer: run this cell again (Shift+Enter) to run it and its check.
client.delete_user(leaver)
try:
    print(mask_token(client.get_token(leaver, ["chat"]).token))
except HttpResponseError as error:
    print(error.status_code, error.error.code)
exercises.check("07-delete", lab_client, identity=leaver)
