"""Generated package tempyral.api.dependencies."""
