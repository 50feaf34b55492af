"""Generated package tempyral.api.testservice.v1."""
