"""Generated package tempyral.api.command.v1."""
