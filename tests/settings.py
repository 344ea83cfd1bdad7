"""Settings for the test suite: the production settings with test-only conveniences."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from consortia.settings import *  # noqa: E402,F403
from consortia.settings import STORAGES  # noqa: E402

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Static files come from the finders in tests; no collectstatic, so no WhiteNoise.
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405
# Throttling is tested on its own (tests/security/test_logins.py); elsewhere a suite's worth of
# requests as one person must not be throttled.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
