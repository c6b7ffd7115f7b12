"""One module per API section; each declares the narrow Backend Protocol it needs."""
