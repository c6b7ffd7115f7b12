"""The metadata database (sqlite, WAL) and its numbered schema migrations."""
