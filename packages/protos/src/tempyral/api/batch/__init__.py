"""Generated package tempyral.api.batch."""
