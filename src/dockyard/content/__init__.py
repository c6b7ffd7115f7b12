"""Digest-addressed blob storage with resumable, invisible-until-committed ingest."""
