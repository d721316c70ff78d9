"""Names the callback feature shares between the generated dialplan, the simulated Asterisk,
the tracker and the dialer (``callcenter/contacts/dialer.py``). No imports: anyone may use it.
"""

QUEUE_EXIT_CONTEXT = "vuurtoren-queue-exit"
"""queues.conf ``context``: a waiting caller's key press that leads here leaves the queue."""
WAIT_CONTEXT = "vuurtoren-callback-queue"
"""Where a callback waits in line in the caller's place: ``Local/<queue>@<this>/n``."""
DIAL_CONTEXT = "vuurtoren-callback"
"""The citizen's side of a callback (exten ``citizen``); its ``h`` reports the result."""
CALLBACK_PREFIX = "vtcb-"
"""Uniqueids (``ChannelId``) of the channels Vuurtoren originates for callbacks: calls whose
Linkedid starts with it are callbacks, not calls to the central number."""
