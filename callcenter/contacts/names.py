"""Names the callback feature and the queue reminders share between the generated dialplan,
the simulated Asterisk, the tracker and the dialer (``callcenter/contacts/dialer.py``). No
imports: anyone may use it.
"""

QUEUE_EXIT_CONTEXT = "vuurtoren-queue-exit"
"""queues.conf ``context``: a waiting caller's key press that leads here leaves the queue."""
WAIT_CONTEXT = "vuurtoren-callback-queue"
"""Where a callback waits in line in the caller's place: ``Local/<queue>@<this>/n``."""
DIAL_CONTEXT = "vuurtoren-callback"
"""The citizen's side of a callback (exten ``citizen``); its ``h`` reports the result."""
WHISPER_CONTEXT = "vuurtoren-whisper"
"""Where a waiting caller's reminder is played: ``Local/s@<this>/n``, whose other side runs
``ChanSpy(<caller>,qEW)`` (``callcenter/prompts/queue_voice.py``)."""
CALLBACK_PREFIX = "vtcb-"
"""Uniqueids (``ChannelId``) of the channels Vuurtoren originates for callbacks: calls whose
Linkedid starts with it are callbacks, not calls to the central number."""
COUNTER_QUEUE_TIMEOUT = 180
"""Seconds a caller waits in a counter's queue (``Queue()``'s timeout) before the dialplan
takes them on to the lighthouse."""
LIGHTHOUSE_QUEUE_TIMEOUT = 600
"""Seconds a caller waits in the lighthouse's queue before the last resort."""
RESULT_TREE = "cbresult"
"""AstDB ``vuurtoren/cbresult/<channel id>`` = ``epoch,request,status,call,talk``: a
callback's result, kept by the dialplan before it sends ``CallbackResult`` (the dialer
deletes it once stored, and reads what is left after a reconnect)."""
