"""Community reads, one module per concern."""
