"""Generated package tempyral.api.history."""
