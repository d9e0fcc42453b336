"""An in-process protocol client over Channels' test communicator, for socket tests."""

import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from config.asgi import application


def token_for(user, lifetime=None) -> str:
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


class Client:
    """A protocol client over WebsocketCommunicator, keeping its own copy of the text."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.ws = communicator
        self.frames: list[dict] = []

    @classmethod
    async def open(cls, headers=None) -> "Client":
        communicator = WebsocketCommunicator(application, "/ws/collab/", headers=headers or [])
        connected, _ = await communicator.connect()
        assert connected
        return cls(communicator)

    async def send(self, frame: dict) -> None:
        await self.ws.send_to(text_data=json.dumps(frame))

    async def recv(self, timeout: float = 3) -> dict:
        message = await self.ws.receive_output(timeout)
        if message["type"] == "websocket.close":
            return {"type": "__closed__", "code": message.get("code")}
        frame = json.loads(message["text"])
        self.frames.append(frame)
        return frame

    async def recv_type(self, kind: str, timeout: float = 3) -> dict:
        while True:
            frame = await self.recv(timeout)
            if frame["type"] in (kind, "__closed__"):
                return frame

    async def close(self) -> None:
        await self.ws.disconnect()


async def join(user, document, **extra) -> tuple[Client, dict]:
    client = await Client.open()
    await client.send(
        {"type": "authenticate", "token": token_for(user), "document_id": str(document.pk), **extra}
    )
    return client, await client.recv()


@sync_to_async
def make_doc(**kwargs):
    return DocumentFactory(**kwargs)


@sync_to_async
def make_user(**kwargs):
    return UserFactory(**kwargs)


@sync_to_async
def reload(document):
    document.refresh_from_db()
    return document
