"""The REST API at /api/v1/: assembles each app's router under one NinjaAPI."""
