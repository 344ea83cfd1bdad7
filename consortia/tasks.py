import os
import socket

from celery import shared_task


@shared_task
def worker_ping() -> dict:
    """Report which process ran this task: proves work leaves the web process."""
    return {"pid": os.getpid(), "hostname": socket.gethostname()}
