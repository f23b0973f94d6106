"""Validate: the Spec model assembled from every kind's section model, validation against it with located errors,
and what is generated from the models (the spec reference and the JSON Schema)."""
