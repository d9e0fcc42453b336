"""`manage.py recompute_reputation [--fix] [--batch N]`: checks every person's stored
reputation against the ledger (REPUTATION_START + the sum of their lines).

Each difference is reported (there should be none: every change of reputation is written
with its ledger line in one transaction). With --fix the ledger's figure is written,
each person's row locked as a vote locks it. On large sites a progress line follows each
batch. The exit status is 1 when differences were found and not fixed, so a scheduled
check can alert.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from community.selectors.reputation import reputation_checks
from community.services.reputation import fix_reputation


class Command(BaseCommand):
    help = "Recompute every user's reputation from the ledger and report (or --fix) differences."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--fix", action="store_true", help="Write the ledger's figure where they differ."
        )
        parser.add_argument(
            "--batch", type=int, default=1000, help="People checked per query (default 1000)."
        )

    def handle(self, *args, fix: bool, batch: int, **options) -> None:
        if batch < 1:
            raise CommandError("--batch must be 1 or more.")
        total = User.objects.count()
        checked = differences = 0
        after_pk = 0
        while checks := reputation_checks(after_pk=after_pk, limit=batch):
            for check in checks:
                if check.stored != check.from_ledger:
                    differences += 1
                    self._report(check, fix)
            checked += len(checks)
            after_pk = checks[-1].user_id
            if total > batch:
                self.stdout.write(f"checked {checked:,} of {total:,} people")
        if not differences:
            self.stdout.write(self.style.SUCCESS(f"{checked:,} people checked: no differences."))
        elif fix:
            self.stdout.write(self.style.SUCCESS(f"{differences:,} differences fixed."))
        else:
            raise CommandError(
                f"{differences:,} differences found; run with --fix to write the ledger's figures."
            )

    def _report(self, check, fix: bool) -> None:
        line = (
            f"{check.username} (id {check.user_id}): stored {check.stored}, "
            f"ledger {check.from_ledger} ({check.from_ledger - check.stored:+d})"
        )
        if fix:
            before, after = fix_reputation(user_id=check.user_id)
            line += f" -> set to {after}" if before != after else " -> already right"
        self.stdout.write(line)
