"""HTTP edges that are not webhooks: the store API, the verdict page, health and metrics."""
