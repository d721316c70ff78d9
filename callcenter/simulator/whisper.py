"""A waiting caller's reminder, as a real Asterisk runs what Vuurtoren originates
(``callcenter/calls/queue_voice.py``): ``Local/s@vuurtoren-whisper/n`` plays the files of
``VT_ANNOUNCE`` while its other side runs ``ChanSpy(<caller>,qEW)``, which whispers them to
the caller. The caller hears them only while still waiting in a queue; the simulator notes
them in the call's ``heard`` (``ChanSpyStart``). The files take their playing time
(``prompts.py``), then both Local legs hang up; the Originate's ``OriginateResponse`` says
Success. (On a real Asterisk 22 the spying side stays attached until the caller leaves the
queue, ``ChanSpyStop`` then: nothing the service reads.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.dialplan.names import WHISPER_CONTEXT
from callcenter.simulator.callbacks import originate_response, originate_variables

if TYPE_CHECKING:
    from callcenter.ami.codec import Message
    from callcenter.simulator.core import SimAsterisk

__all__ = ["is_whisper", "start_whisper"]


def is_whisper(action: Message) -> bool:
    return (action.get("Channel") or "").startswith(f"Local/s@{WHISPER_CONTEXT}")


def start_whisper(ast: SimAsterisk, action: Message) -> None:
    assert ast.factory is not None
    suffix = ast.factory.suffix()
    leg1 = ast.new_channel(f"Local/s@{WHISPER_CONTEXT}-{suffix};1", state=6)
    leg2 = ast.new_channel(
        f"Local/s@{WHISPER_CONTEXT}-{suffix};2",
        linkedid=leg1.uniqueid,
        state=6,
        context=WHISPER_CONTEXT,
    )
    ast.newexten(leg1, "", "", 1, "ChanSpy", action.get("Data") or "")
    files = [f for f in originate_variables(action).get("VT_ANNOUNCE", "").split("&") if f]
    target = (action.get("Data") or "").split(",")[0]
    call = ast.calls.get(target)
    base = ast.site.prompts.dir.rstrip("/") + "/"
    spying = call is not None and call.waiting
    if spying:  # ChanSpy finds the caller, still in line
        assert call is not None
        ast.emit(
            "ChanSpyStart",
            "call",
            [*leg1.snapshot("Spyer"), *call.leg2.snapshot("Spyee")],
        )
        for f in files:
            ast.newexten(leg2, WHISPER_CONTEXT, "s", 3, "Playback", f)
            call.truth.heard.append(f.removeprefix(base))
    originate_response(ast, action, True, 4, leg1.name, leg1.uniqueid)

    def done() -> None:
        ast.hangup_channel(leg2)
        ast.hangup_channel(leg1)

    ast.clock.call_later(0.3 + ast.prompt_lengths.total(files), done)
