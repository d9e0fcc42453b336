"""Demo content for `manage.py seed`: the pages (`pages`), their history (`histories`) and
the planner that checks a history against its page (`plan`)."""
