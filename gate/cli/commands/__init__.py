"""The ``gate`` subcommands, one module each: ``run(args)`` returns the exit status."""
