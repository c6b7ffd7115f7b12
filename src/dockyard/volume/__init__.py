"""volume."""
