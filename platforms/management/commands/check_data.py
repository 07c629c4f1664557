from django.core.management.base import BaseCommand, CommandError

from platforms.integrity import data_problems


class Command(BaseCommand):
    help = "Report facts that are unsourced, missing or contested without a reason."

    def handle(self, *args, **options):
        problems = data_problems()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in the data.")
        self.stdout.write(self.style.SUCCESS("Every cell is sourced or honestly unknown."))
