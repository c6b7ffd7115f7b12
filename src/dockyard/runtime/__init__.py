"""Running containers: the pure OCI spec builder, the Runtime contract and its runtimes, and
the per-host monitor that holds every container's stdio."""
