"""Generated package tempyral.api.dependencies.google.protobuf."""
