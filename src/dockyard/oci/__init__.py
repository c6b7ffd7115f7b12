"""Pure OCI types: digests, descriptors, media types, image documents, references."""
