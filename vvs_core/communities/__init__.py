"""Communities: membership and its validation, boundaries, the community event log, the home page."""
