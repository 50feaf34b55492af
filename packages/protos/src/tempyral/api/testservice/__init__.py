"""Generated package tempyral.api.testservice."""
