"""Signals other apps listen to (collaboration imports none of them).

`room_message_posted`: someone posted or edited a message in a room. Sent inside the
transaction that stores it, after the row is written, with `message_id`, `room_id`,
`author_id`, `text` (the message's text now; empty for code messages, which mention
nobody) and `is_edit`. Receivers defer their side effects to the commit
(`transaction.on_commit`, or `notify_on_commit` for notifications), so nothing is
announced for a message that was rolled back. The community app notifies @mentions.
"""

from django.dispatch import Signal

room_message_posted = Signal()
