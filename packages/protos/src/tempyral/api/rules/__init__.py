"""Generated package tempyral.api.rules."""
