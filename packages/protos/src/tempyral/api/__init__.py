"""Generated package tempyral.api."""
