"""Generated package tempyral.api.workflow."""
