"""In-process publish/subscribe of engine events (feeds GET /events)."""
