import os

# polars' allocator (jemalloc) keeps the memory a thread frees in that thread's arena; with its
# default of 4 arenas per core an import's resident memory grows half again beyond what it uses
# (decisions 34). Set before polars is first imported (the worker and manage.py import this first).
os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:2,dirty_decay_ms:250,muzzy_decay_ms:0")

from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
