from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(*, to: str, subject: str, text: str, html: str) -> None:
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task
def sweep_orphan_files() -> int:
    """Daily: delete stored uploads that no row names (a rolled-back insert's file)."""
    from lms.core.orphans import sweep_orphan_files as sweep

    return len(sweep().removed)
