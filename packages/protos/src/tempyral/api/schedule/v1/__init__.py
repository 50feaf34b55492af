"""Generated package tempyral.api.schedule.v1."""
