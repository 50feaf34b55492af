"""Generated package tempyral.api.enums."""
