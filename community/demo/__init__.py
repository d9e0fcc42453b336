"""The community demo content: what it says (`content`) and how it is played (`seed`)."""
