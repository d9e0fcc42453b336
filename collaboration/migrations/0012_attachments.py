# Attachments (issue 13): written by hand or pasted from `makemigrations --dry-run -v 3`.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collaboration", "0011_document_branches"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text="The uploader's file name, made safe to show.", max_length=150)),
                ('kind', models.CharField(choices=[('image', 'Image'), ('pdf', 'PDF document'), ('csv', 'CSV table'), ('text', 'Plain text'), ('notebook', 'Jupyter notebook')], max_length=16)),
                ('content_type', models.CharField(max_length=100)),
                ('size', models.PositiveBigIntegerField(help_text='Bytes stored (after re-encoding images); counts against the quota.')),
                ('width', models.PositiveIntegerField(blank=True, null=True)),
                ('height', models.PositiveIntegerField(blank=True, null=True)),
                ('sha256', models.CharField(help_text='Of the stored bytes.', max_length=64)),
                ('storage_name', models.CharField(max_length=255, unique=True)),
                ('thumbnail_storage_name', models.CharField(blank=True, max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='collaboration.document')),
                ('uploaded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='attachments', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['document', '-created_at'], name='attachment_document_recent')],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['image', 'pdf', 'csv', 'text', 'notebook'])), name='attachment_kind_known'), models.CheckConstraint(condition=models.Q(('size__gt', 0)), name='attachment_not_empty')],
            },
        ),
    ]
