"""Generated package tempyral.api.cloud.usage."""
