"""Generated package tempyral.api.operatorservice."""
