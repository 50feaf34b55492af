"""Generated package tempyral.api.command."""
