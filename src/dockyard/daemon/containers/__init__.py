"""The container service: one module per verb over a shared data model.

``state.py`` is the lifecycle (status enum, transition table, Docker's refusal messages),
``store.py`` persists container and exec records in the metadata database; the verbs
(create, start, stop, ...) build on both and never check a status ad hoc.
"""
