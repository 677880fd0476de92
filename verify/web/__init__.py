"""The review web UI: a Flask app over the archive, served by waitress.

create_app(db_path, *, auth=None) -> Flask; serve(db_path, host=..., port=..., threads=..., auth=...)."""

from verify.web.app import check_bind, create_app, load_auth, make_server, serve

__all__ = ["check_bind", "create_app", "load_auth", "make_server", "serve"]
