"""Generated package tempyral.api.taskqueue."""
