import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tandem.accounts.models import User
from tandem.core.maintenance import database_optimize


class Command(BaseCommand):
    help = "Migrate, load demo data on first run, and serve Tandem with its job consumer."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data on first run")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not options["no_demo"] and not User.objects.exists():
            call_command("demo")
        elif User.objects.exists():
            self.stdout.write("Using the existing data in " + str(settings.DATA_DIR))
        database_optimize()
        url = f"http://{options['host']}:{options['port']}/"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tandem.settings"),
        }
        worker = subprocess.Popen([sys.executable, "-m", "tandem.cli", "worker", "--workers", "2"], env=env)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                "1",
                "--blocking-threads",
                "4",
                "--log-level",
                "warning",
                "tandem.wsgi:application",
            ],
            env=env,
        )
        self.stdout.write(self.style.SUCCESS(f"Tandem is running at {url}  (Ctrl-C stops it)"))
        try:
            while server.poll() is None and worker.poll() is None:
                try:
                    server.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            for process in (server, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
            for process in (server, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stdout.write("Stopped.")
