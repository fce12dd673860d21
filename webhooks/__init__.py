"""Store webhooks: signed inbound build submissions and outbound verdict callbacks."""
