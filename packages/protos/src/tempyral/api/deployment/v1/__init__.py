"""Generated package tempyral.api.deployment.v1."""
