"""ACS Chat on the local service: the part of the Chat REST API the chat SDKs need, for the
lab's own user tokens, on the identity service's endpoint (models, responses, errors as in
moto's per-service split)."""

from .responses import install_chat

__all__ = ["install_chat"]
