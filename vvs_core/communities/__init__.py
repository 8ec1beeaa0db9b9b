"""Communities: membership and its validation, the directory, boundaries, the community event log, the home page."""
