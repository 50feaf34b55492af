"""Generated package tempyral.api.deployment."""
