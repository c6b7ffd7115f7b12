"""The Docker Engine API over HTTP: app factory, middlewares, and one route module per section."""
