"""Files attached to documents: figures, PDFs, tables, notebooks (issue 13, "uploads").

- validation.py: what is accepted, decided from the bytes (never the name); images are
  decoded and re-encoded so nothing hidden in them survives.
- storage.py: where the bytes live (Django's storage API: a folder or an S3 bucket).
- services.py: upload (edit right, size limit, per-person quota under a row lock) and
  delete; rules.py: who may do which; selectors.py: reads and what pages and the API show.
- views.py (serving with the document's read permission, the no-JS forms), api.py,
  admin.py, panels.py and hooks.py (the document page's and the editor's panels).

The model lives in models.py and is imported by collaboration/models.py, so it belongs to
the collaboration app (migration collaboration/0012_attachments).
"""
