"""Generated package tempyral.api.operatorservice.v1."""
