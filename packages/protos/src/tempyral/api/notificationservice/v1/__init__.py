"""Generated package tempyral.api.notificationservice.v1."""
