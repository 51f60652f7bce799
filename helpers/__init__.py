"""ACS Identity Lab helpers: what the notebooks import.

`connect()` gives you a real `CommunicationIdentityClient`, for Azure when a connection string
or endpoint is configured, otherwise for the embedded local ACS Identity service.
"""
