import os
import tempfile
import uuid

from .development import *  # noqa: F403
from .development import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="dutychain-media-")

# Each test process gets its own database, named by TEST_DB_NAME when set, so parallel runs never collide.
# SQLite uses a file (not memory) so that a Celery worker or a live server in another process can share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DB_NAME")
        or os.path.join(tempfile.gettempdir(), f"dutychain-test-{uuid.uuid4().hex[:12]}.sqlite3")
    }
elif os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
