"""One module per verb: ``command(path) -> Command`` and ``run(ctx, opts, args) -> int``."""
