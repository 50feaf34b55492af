"""Generated package tempyral.api.taskqueue.v1."""
