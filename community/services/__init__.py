"""Community business logic, one module per concern (import the module you need:
`from community.services import votes`)."""
