"""Generated package tempyral.api.export."""
