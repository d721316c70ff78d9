"""Errors of the AMI client.

AMIError
├── NotConnected          an action was sent while no session is up
├── Disconnected          the connection was lost while the action waited for its answer
├── ActionTimeout         no answer within the action's timeout
├── ActionFailed          Asterisk answered ``Response: Error`` (the message is kept)
└── AuthenticationFailed  Login refused; the client keeps retrying with backoff
"""

from __future__ import annotations

from callcenter.ami.codec import Message

__all__ = [
    "AMIError",
    "ActionFailed",
    "ActionTimeout",
    "AuthenticationFailed",
    "Disconnected",
    "NotConnected",
]


class AMIError(Exception):
    """Base of every error raised by the AMI client."""


class NotConnected(AMIError):
    pass


class Disconnected(AMIError):
    pass


class ActionTimeout(AMIError):
    pass


class ActionFailed(AMIError):
    def __init__(self, action: str, response: Message) -> None:
        self.action = action
        self.response = response
        self.reason = response.get("Message") or "no message"
        super().__init__(f"{action} failed: {self.reason}")


class AuthenticationFailed(ActionFailed):
    pass
