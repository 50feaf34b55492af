"""Generated package tempyral.api.cloud.identity."""
