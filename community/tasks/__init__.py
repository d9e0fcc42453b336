"""Celery tasks of the community app, one module per concern: thin wrappers that take ids
and call a service.

The modules are not imported here: a service imports the one task module it queues, and
that module imports its service, so importing any one never drags in every other service
(which made import cycles). Workers import them all through CELERY_IMPORTS
(config/settings.py); a test checks that every module is listed there.
"""
