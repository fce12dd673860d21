"""Service plumbing shared by web, webhooks, workers and the CLI: settings, queues, metrics, artifacts."""
