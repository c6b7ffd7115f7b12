"""Fakes and fixtures shipped with the package, for our tests and for people extending us."""
