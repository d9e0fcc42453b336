"""Live delivery to every open socket, in every server process.

The package, by what each module holds:

- `wire`: channel names, process identity, the bus message format, JSON for frames.
- `publish`: what synchronous code (services, views, Celery tasks) calls after a commit:
  revisions committed outside the socket path, frames for a user's, a room's or a
  document's topic, and "access changed" notices. The public seam for other apps.
- `db`: the small thread pool the event loop uses for database work.
- `bus`: Redis pub/sub between processes (or in-process without Redis), channels counted
  per subscriber so the parts of a process that share one never cut each other off.
- `presence`: who is on a document, in Redis with expiring entries.
- `sockets`: `SocketHandle`, one open socket as the platform sees it: its user, rights,
  topics, and a hold that keeps frames back while its rights are being re-checked.
- `hub`: `DocumentHub`, one document's sockets in one process: ordered delivery of
  revisions, queued edits.
- `committer`: commits queued edits in batches (one round trip on PostgreSQL).
- `topics`: user, room and document topics: subscriptions, backlog on resume, live frames.
- `access`: re-deciding the rights of open sockets when access changes.
- `registry`: one process's hubs, sockets, bus and background loops.

Nothing is imported here on purpose: services import `publish` without pulling in the
event-loop machinery, and the machinery may import services without a cycle.
"""
