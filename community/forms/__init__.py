"""Server-side forms of the community pages, one module per concern."""
