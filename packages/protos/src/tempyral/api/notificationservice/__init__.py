"""Generated package tempyral.api.notificationservice."""
