"""The registry: named model versions and dataset versions, stored as deltas.

``tables`` holds the schema, ``storage`` the compressed blobs, ``chain`` the walk from a
version to its snapshot, ``delta`` the lossless encoding of model arrays, ``rows`` row
hashing and multiset deltas of tables, ``uri`` names and URIs; ``models`` and
``datasets`` are the public functions (re-exported as ``cairn.register_model`` ...).
This package's ``__init__`` stays empty: the schema imports ``tables`` on every start.
"""
