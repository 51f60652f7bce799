# A worked answer: run this cell again (Shift+Enter) to run it and its check.
learner_token = client.get_token(learner, ["chat"])
learner_chat = ChatClient(endpoint, CommunicationTokenCredential(learner_token.token))
my_thread_id = learner_chat.create_chat_thread("My first thread").chat_thread.id
learner_chat.get_chat_thread_client(my_thread_id).send_message("Hello from learner")
exercises.check("03-chat", lab_client, identity=learner, thread=my_thread_id)
