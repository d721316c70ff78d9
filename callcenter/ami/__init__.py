"""Our own AMI: the sans-IO codec, typed actions and the asyncio client."""

from callcenter.ami.actions import ListResult, QueueStatus, QueueSummary
from callcenter.ami.client import AMIClient, ClientSettings, ConnectionState, Subscription
from callcenter.ami.codec import Decoder, FrameError, Message, encode_message
from callcenter.ami.errors import (
    ActionFailed,
    ActionTimeout,
    AMIError,
    AuthenticationFailed,
    Disconnected,
    NotConnected,
)

__all__ = [
    "AMIClient",
    "AMIError",
    "ActionFailed",
    "ActionTimeout",
    "AuthenticationFailed",
    "ClientSettings",
    "ConnectionState",
    "Decoder",
    "Disconnected",
    "FrameError",
    "ListResult",
    "Message",
    "NotConnected",
    "QueueStatus",
    "QueueSummary",
    "Subscription",
    "encode_message",
]
