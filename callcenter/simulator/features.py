"""Desk-phone feature codes as the generated dialplan runs them (``vuurtoren-features`` in
``callcenter/asterisk/config.py``): the phone's channel answers, collects the digits (a
counter's menu key and a PIN for the override code), sends ``UserEvent(FeatureRequest)`` with
the device (the channel name without its ``-xxxxxxxx`` suffix), and waits for Vuurtoren's
``Redirect`` to ``vuurtoren-feature-result,<word>,1``, which plays the matching prompt and
hangs up. Without an answer in ``FEATURE_WAIT`` seconds the result is ``failed``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from callcenter.dialplan.names import FEATURE_WAIT

if TYPE_CHECKING:
    from callcenter.simulator.core import SimAsterisk

__all__ = ["FEATURE_CONTEXT", "RESULT_CONTEXT", "FeatureCall"]

FEATURE_CONTEXT = "vuurtoren-features"
RESULT_CONTEXT = "vuurtoren-feature-result"


class FeatureCall:
    def __init__(self, ast: SimAsterisk, device: str, code: str, headers: dict[str, str]):
        assert ast.factory is not None, "boot() first"
        self.ast = ast
        self.device = device
        self.code = code
        self.headers = headers
        name = f"{device}-{ast.factory.suffix()}"
        self.channel = ast.new_channel(name, context=FEATURE_CONTEXT, exten=code, state=6)
        codes = {
            ast.site.agents.login_code: "agent-toggle",
            ast.site.agents.override_code: "override",
        }
        self.feature = codes.get(code, "")
        self._redirected: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def redirect(self, context: str, exten: str) -> None:
        if not self._redirected.done():
            self._redirected.set_result(exten if context == RESULT_CONTEXT else "")

    def hangup_now(self) -> None:
        self.ast.hangup_channel(self.channel)

    async def run(self) -> str:
        ast, ch = self.ast, self.channel
        ast.feature_calls[ch.name] = self
        try:
            ast.newexten(ch, FEATURE_CONTEXT, self.code, 2, "UserEvent", "FeatureRequest")
            ast.emit(
                "UserEvent",
                "user",
                [
                    *ch.snapshot(),
                    ("UserEvent", "FeatureRequest"),
                    ("Feature", self.feature),
                    *self.headers.items(),
                    ("Device", self.device),
                ],
            )
            try:
                async with asyncio.timeout(ast.clock.real(FEATURE_WAIT)):
                    word = await self._redirected
            except TimeoutError:
                word = "failed"
            ast.newexten(ch, RESULT_CONTEXT, word or "failed", 1, "Gosub", "vuurtoren-sound")
            return word or "failed"
        finally:
            ast.feature_calls.pop(ch.name, None)
            ast.hangup_channel(ch)
