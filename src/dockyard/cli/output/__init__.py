"""Rendering for the CLI: Go templates, docker's tabwriter, go-units sizes and durations."""
