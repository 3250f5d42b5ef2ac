"""Loaded with `-p tandem.core.pytest_plugin` before Django reads its settings."""

import os

# The suite talks plain http to Django's test client; HTTPS hardening is tested under production settings.
os.environ.setdefault("TANDEM_HTTPS", "0")
