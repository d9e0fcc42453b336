"""`manage.py search_eval`: recall@5 and MRR of keyword, semantic and hybrid search over
the learner queries of `collaboration.semantic.eval_queries`, on the seeded demo content.

Run `manage.py seed` first. Whatever is not embedded yet is embedded before measuring
(the same sweep Celery beat runs), so the figures never depend on a worker's timing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from collaboration.models import Document
from collaboration.semantic.eval_queries import EVAL_QUERIES
from collaboration.semantic.evaluation import K, evaluate_all
from collaboration.semantic.tasks import index_stale_task

SEEDED_SLUG = "attention-and-transformers"
MAX_SWEEPS = 20


class Command(BaseCommand):
    help = "Prints recall@5 and MRR of each search mode over the learner queries."

    def handle(self, *args, **options) -> None:
        if not Document.objects.filter(slug=SEEDED_SLUG).exists():
            raise CommandError("The demo content is missing: run `manage.py seed` first.")
        for _ in range(MAX_SWEEPS):  # until nothing is left to embed
            if not index_stale_task(limit=500):
                break
        self.stdout.write(f"{len(EVAL_QUERIES)} queries; recall@{K} and MRR per mode:")
        self.stdout.write(f"{'mode':<10}{'recall@' + str(K):>10}{'MRR':>10}")
        for scores in evaluate_all():
            self.stdout.write(f"{scores.mode:<10}{scores.recall:>10.3f}{scores.mrr:>10.3f}")
