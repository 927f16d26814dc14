"""The web UI and REST API over a Store (``cairn ui``; needs the ``ui`` extra).

``app`` builds the FastAPI application, ``api`` the JSON endpoints under ``/api/``,
``pages`` the HTML pages (templates and static scripts that call the API), ``security``
tokens, write permission and safe artifact paths, ``queries`` the read-only listings the
Store's methods do not give, ``analysis`` the figures of a study page, ``graph`` the
layout of a lineage DAG. The UI reads only through the Store and writes only through
its public methods and the registry's, so it sees and changes what every client does.
"""

from cairn.ui.app import create_app

__all__ = ["create_app"]
