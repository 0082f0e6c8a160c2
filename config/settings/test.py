import os
import tempfile
import uuid

from .development import *  # noqa: F403
from .development import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="dutychain-media-")

# Each test run gets databases of its own, so two runs on one server never collide: TEST_DB_NAME names them
# (`make test` passes one per run and drops everything with that prefix afterwards, also after a failure),
# else a random name. pytest-xdist then appends each worker's suffix (_gw0, _gw1, …).
# SQLite uses a file (not memory) so that a Celery worker or a live server in another process can share it.
_run_name = os.environ.get("TEST_DB_NAME")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": _run_name
        or os.path.join(tempfile.gettempdir(), f"dutychain-test-{uuid.uuid4().hex[:12]}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": _run_name or f"test_dutychain_{uuid.uuid4().hex[:12]}"}
