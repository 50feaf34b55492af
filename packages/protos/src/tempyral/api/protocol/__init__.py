"""Generated package tempyral.api.protocol."""
