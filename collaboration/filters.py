"""Query-string filters of the document list API (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from .models import Document, EditPolicy, Visibility


class DocumentFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(
        field_name="tags__slug", help_text="Only documents with this tag slug."
    )
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices)
    edit_policy = django_filters.ChoiceFilter(choices=EditPolicy.choices)
    owner = django_filters.CharFilter(
        field_name="owner__username", lookup_expr="iexact", help_text="The owner's username."
    )
    q = django_filters.CharFilter(method="filter_q", help_text="Words in the title.")

    class Meta:
        model = Document
        fields = ["tag", "visibility", "edit_policy", "owner", "q"]

    def filter_q(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        # Every word must appear in the title, in any order and case.
        for word in value.split()[:10]:
            queryset = queryset.filter(title__icontains=word)
        return queryset
