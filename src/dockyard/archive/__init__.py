"""Layer tarballs: apply with whiteouts, diff to a tar, compression detection (isal gzip)."""
