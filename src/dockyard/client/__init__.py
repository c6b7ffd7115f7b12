"""Engine API client for the ``dockyard`` CLI: thin, synchronous, fast to import.

``client.Client`` (versioned requests, JSON, JSON-lines and raw streams, chunked uploads)
over a ``types.Transport``: ``transport.SocketTransport`` (``wire``: HTTP/1.1 on ``_socket``,
no ``http.client``/``json``/``typing`` at run time) or ``dockyard.testing.fake_engine_api``.
"""
