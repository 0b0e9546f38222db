"""Use cases. Each public call takes the session, the acting user and `now`, and is one transaction."""
