"""Generated package tempyral.api.cloud."""
