"""Docker API wire shapes: the only place CamelCase keys live (to_wire/from_wire)."""
