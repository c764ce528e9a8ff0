"""PostgreSQL on the embedded server: Django's backend, which starts the server (or
attaches to it) and creates the database on its first connection, not when the settings
are read (therapy_directory/embedded_db.py)."""

from pathlib import Path

from django.db.backends.postgresql import base, client

from therapy_directory import embedded_db


class DatabaseClient(client.DatabaseClient):
    def runshell(self, parameters: list[str]) -> None:
        self.connection.ensure_connection()  # `dbshell` needs the HOST and PORT it fills
        super().runshell(parameters)


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    def get_connection_params(self) -> dict:
        server = embedded_db.attach(Path(self.settings_dict["DATA_DIR"]))
        # Filled in the settings dict itself, so that whoever reads it after a connection
        # (settings.DATABASES, subprocesses given a DATABASE_URL) finds the real address.
        self.settings_dict["HOST"] = server.host
        self.settings_dict["PORT"] = str(server.port)
        params = super().get_connection_params()
        embedded_db.ensure_database(server, params["dbname"])
        return params
