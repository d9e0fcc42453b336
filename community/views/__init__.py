"""Community pages, one module per concern."""
