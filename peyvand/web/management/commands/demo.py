"""``peyvand demo [--port P]``: migrate, seed if empty, ensure the ``demo`` admin, and serve.

Idempotent: run it again and it reuses the data. The admin's password comes from
``PEYVAND_DEMO_PASSWORD``, else a new one is generated and printed at each start.
"""

from __future__ import annotations

import os
import secrets
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from peyvand.accounts.models import Role, User
from peyvand.contacts.demo_data import has_data, seed_demo_data
from peyvand.messaging.sms.fake_server import FakeSmsGateway
from peyvand.portal.demo_data import DEMO_CUSTOMER_EMAIL
from peyvand.web.scheduler import start_scheduler

DEMO_SMS_API_KEY = "demo"


def ensure_demo_admin(password: str) -> User:
    user, _created = User.objects.get_or_create(
        username="demo",
        defaults={"first_name": "مدیر", "last_name": "نمایشی", "role": Role.ADMIN},
    )
    user.role = Role.ADMIN
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    user.set_password(password)
    user.save()
    return user


def start_demo_sms_gateway() -> FakeSmsGateway | None:
    """With no SMS provider configured, send the demo's SMS to a local fake Kavenegar
    gateway (the one the tests use, speaking Kavenegar's HTTP API) so that a campaign can
    be launched and watched; None when a real provider is configured."""
    from django.conf import settings

    if settings.PEYVAND_SMS_GATEWAY:
        return None
    fake = FakeSmsGateway(api_key=DEMO_SMS_API_KEY).start()
    settings.PEYVAND_SMS_GATEWAY = "kavenegar"
    settings.PEYVAND_SMS_API_KEY = DEMO_SMS_API_KEY
    settings.PEYVAND_SMS_LINE = settings.PEYVAND_SMS_LINE or "10004346"
    settings.PEYVAND_SMS_BASE_URL = fake.base_url
    return fake


def start_task_worker(stop: threading.Event) -> None:
    """Run the database task queue in a background thread beside the web server."""
    from django.conf import settings

    if not str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db"):
        return
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="demo-worker",
        excluded_queue_names=[],
    )
    threading.Thread(target=worker.run, name="peyvand-tasks", daemon=True).start()


class Command(BaseCommand):
    help = "Run the product with Persian demo data on 127.0.0.1 (SQLite by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--contacts", type=int, default=120)
        parser.add_argument(
            "--no-serve", action="store_true", help="prepare the data and exit (for scripts)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        if not os.environ.get("PEYVAND_PUBLIC_URL"):
            # Links in the demo's emails (surveys, the portal) point at this server.
            settings.PEYVAND_PUBLIC_URL = f"http://127.0.0.1:{options['port']}"
        call_command("migrate", interactive=False, verbosity=0)
        if not has_data():
            report = seed_demo_data(contacts=options["contacts"])
            self.stdout.write(
                f"Seeded {report.contacts} contacts and {report.companies} companies."
            )
        password = os.environ.get("PEYVAND_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        ensure_demo_admin(password)
        url = f"http://127.0.0.1:{options['port']}/"
        self.stdout.write(f"Customer portal: {url}portal/ (sign in as {DEMO_CUSTOMER_EMAIL})")
        self.stdout.write(f"Peyvand demo: {url}")
        self.stdout.write("  username: demo")
        self.stdout.write(f"  password: {password}")
        if options["no_serve"]:
            return
        if not (os.environ.get("PEYVAND_EMAIL_BACKEND") or os.environ.get("PEYVAND_EMAIL_HOST")):
            # No mail server named: print outgoing mail (portal sign-in codes, password
            # resets) here rather than failing to reach 127.0.0.1:25.
            settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
            self.stdout.write("  emails are printed here (set PEYVAND_EMAIL_HOST to send them)")
        fake_sms = start_demo_sms_gateway()
        if fake_sms is not None:
            self.stdout.write(
                f"  SMS go to a local fake Kavenegar gateway; what it received: "
                f"{fake_sms.base_url}/__fake__/stats (set PEYVAND_SMS_GATEWAY to send them)"
            )
        stop = threading.Event()
        start_scheduler(stop)
        start_task_worker(stop)
        call_command("serve", host="127.0.0.1", port=options["port"])
