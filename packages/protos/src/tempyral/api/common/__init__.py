"""Generated package tempyral.api.common."""
