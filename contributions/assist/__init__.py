"""Writing assistance (optional, off by default): "suggest an improvement" of a selection,
which arrives as a suggestion (suggestion mode), never as an edit, and "explain this" for
learners, both streamed from an OpenAI-compatible endpoint configured in settings."""
