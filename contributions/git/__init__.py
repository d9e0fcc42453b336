"""Every document's Git repository (dulwich), one module per part:

- `repository`: the bare repository on disk (paths, the file lock, writing a commit, tags);
- `authors`: people as Git identities, and the commit messages;
- `periods`: grouping committed revisions into commits (periods of live editing);
- `sync`: bringing a repository up to date with the operation log, merges, releases;
- `smart_http`: answering `git clone`/`fetch` (upload-pack) over HTTP, read-only;
- `exporting`: a revision as Markdown, the history as a zip of a clone;
- `importing`: Markdown files and zipped Git repositories becoming documents.
"""
