"""apitypes."""
